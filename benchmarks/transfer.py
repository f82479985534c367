"""Transfer learning measured on several seeds: cat vs dog from few labelled photos.

    python -m benchmarks.transfer --data-dir DIR [--seeds 0 1] [--sizes 100 500 2000] [--save]

For each seed and each number of labelled photos it trains, as notebook 07
does (``cnnlab.transfer.compare``): the recipe's network from scratch; the
network shipped in cnnlab/assets (pre-trained on the 8 classes without cat and
dog) frozen, with a new head; and that network fine-tuned, its top block
trained again at a small learning rate after the head. Each is scored on the
2,000 cat and dog test photos. ``--save`` stores the results in
``cnnlab/assets/transfer.json``, which notebook 07 prints; the last line
printed is the same JSON object::

    {"sizes": [...], "seeds": [...], "settings": {...}, "pretrained_accuracy": float,
     "runs": [{"seed", "count", "from scratch", "frozen", "fine-tuned", "seconds"}, ...]}
"""

import argparse
import json
import os
import sys
import time

import numpy as np

from benchmarks import run
from cnnlab import config, data, transfer

SIZES = (100, 500, 2000)
VALIDATION_PHOTOS = 500  # the last cat and dog training photos: never among the labelled ones


def new_task_splits():
    """``(train, validation, test)`` of cat vs dog, each ``(images, labels)``."""
    (x_train, y_train), (x_test, y_test) = data.load("cifar10")
    images, labels = transfer.select_classes(x_train, y_train, transfer.NEW_CLASSES)
    train = images[:-VALIDATION_PHOTOS], labels[:-VALIDATION_PHOTOS]
    validation = images[-VALIDATION_PHOTOS:], labels[-VALIDATION_PHOTOS:]
    return train, validation, transfer.select_classes(x_test, y_test, transfer.NEW_CLASSES)


def summarise(runs, sizes):
    """One line per size: each method's accuracy on every seed, then the mean."""
    lines = [f"{'photos':>6} | " + " | ".join(f"{method:^24}" for method in transfer.METHODS)]
    for count in sizes:
        rows = [entry for entry in runs if entry["count"] == count]
        cells = []
        for method in transfer.METHODS:
            values = [entry[method] for entry in rows]
            cells.append(" ".join(f"{value:.1%}" for value in values) + f" (mean {np.mean(values):.1%})")
        lines.append(f"{count:>6} | " + " | ".join(f"{cell:^24}" for cell in cells))
    return "\n".join(lines)


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transfer",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder holding cifar10/ in cnnlab.data's layout")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1], help="default: 0 1")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="numbers of labelled photos, even (half cats, half dogs)")
    parser.add_argument("--save", action="store_true",
                        help=f"store the results in {transfer.COMPARISON_RESULTS.name} (read by notebook 07)")
    arguments = parser.parse_args(argv)
    odd = [size for size in arguments.sizes if size < 2 or size % 2]
    if odd:
        parser.error(f"--sizes must be even numbers of at least 2 (as many cats as dogs), got {odd}")
    if config.quick:
        parser.error(f"{config.QUICK_ENV} is set: unset it for a real measurement")
    return arguments


def main(argv=None):
    arguments = parse_arguments(argv)
    run.use_data_dir(arguments.data_dir, ["cifar10"])
    train, validation, test = new_task_splits()
    runs = []
    for seed in arguments.seeds:
        for count in arguments.sizes:
            start = time.perf_counter()
            accuracies = transfer.compare(transfer.load_pretrained, train, validation, test, count,
                                          seed=seed)
            runs.append({"seed": seed, "count": count, **accuracies,
                         "seconds": round(time.perf_counter() - start, 1)})
            print(json.dumps(runs[-1]), flush=True)
    results = {"sizes": arguments.sizes, "seeds": arguments.seeds, "settings": transfer.SETTINGS,
               "pretrained_accuracy": transfer.pretrained_record()["test_accuracy"], "runs": runs}
    print(summarise(runs, arguments.sizes), flush=True)
    if arguments.save:
        partial = transfer.COMPARISON_RESULTS.with_name(transfer.COMPARISON_RESULTS.name + ".partial")
        partial.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        os.replace(partial, transfer.COMPARISON_RESULTS)
    print(json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
