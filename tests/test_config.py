"""The quick/full switch is read from CNNLAB_QUICK, in one place."""

import os
import subprocess
import sys

import pytest


def mode_with(value):
    environment = {**os.environ, "CNNLAB_QUICK": value}
    script = "from cnnlab import config; print(config.mode, config.pick('full', 'quick'))"
    return subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True,
                          text=True, check=True).stdout.split()


@pytest.mark.parametrize("value, expected", [("1", "quick"), ("yes", "quick"), ("0", "full"),
                                             ("", "full"), ("false", "full")])
def test_environment_variable_selects_the_mode(value, expected):
    assert mode_with(value) == [expected, expected]


def test_quick_runs_save_checkpoints_beside_the_full_ones_never_over_them(monkeypatch):
    from cnnlab import config

    monkeypatch.setattr(config, "quick", False)
    full = config.checkpoint_path("mnist_cnn")
    monkeypatch.setattr(config, "quick", True)
    quick = config.checkpoint_path("mnist_cnn")
    assert full == "checkpoints/mnist_cnn.keras" and quick.endswith(".keras") and quick != full
