"""Skip a notebook under nbval when the data sets it declares are not on this machine.

Each notebook lists what it loads in its metadata, ``{"cnnlab": {"datasets": [...]}}``.
Without those files (no CNNLAB_DATA_DIR, nothing in the cache) a run would have
to download, which CI machines cannot; the skip says how to provide them.
"""

import json

import pytest

from cnnlab import data


def _required_datasets(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle).get("metadata", {}).get("cnnlab", {}).get("datasets", [])


def pytest_collection_modifyitems(config, items):
    missing_by_path = {}
    for item in items:
        path = str(item.path)
        if not path.endswith(".ipynb"):
            continue
        if path not in missing_by_path:
            missing_by_path[path] = [name for name in _required_datasets(path)
                                     if not data.is_available(name)]
        missing = missing_by_path[path]
        if missing:
            item.add_marker(pytest.mark.skip(reason=(
                f"data set(s) {', '.join(missing)} not found locally: set {data.DATA_DIR_ENV} "
                "to a data directory or run `python -m cnnlab.data download`")))
