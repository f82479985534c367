"""The quick/full switch is read from CNNLAB_QUICK, in one place, and only the usual spellings count."""

import os
import subprocess
import sys

import pytest

from cnnlab import config


def run_with(value):
    """Import cnnlab.config in a fresh interpreter with CNNLAB_QUICK=value; return the finished process."""
    environment = {**os.environ, "CNNLAB_QUICK": value}
    script = "from cnnlab import config; print(config.mode, config.pick('full', 'quick'))"
    return subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True)


def mode_with(value):
    process = run_with(value)
    assert process.returncode == 0, process.stderr
    return process.stdout.split()


@pytest.mark.parametrize("value, expected", [("1", "quick"), ("yes", "quick"), ("0", "full"),
                                             ("", "full"), ("false", "full")])
def test_environment_variable_selects_the_mode(value, expected):
    assert mode_with(value) == [expected, expected]


TRUE_VALUES = ["1", "true", "True", "TRUE", "yes", "Yes", "on", "ON", "y", "Y", "t", " T "]
FALSE_VALUES = ["0", "false", "False", "no", "NO", "off", "Off", "n", "N", "f", "F", "", "  "]


@pytest.mark.parametrize("value", TRUE_VALUES)
def test_usual_spellings_of_true_mean_quick(value):
    assert config.parse_flag(value) is True


@pytest.mark.parametrize("value", FALSE_VALUES + [None])
def test_usual_spellings_of_false_and_unset_mean_full(value):
    assert config.parse_flag(value) is False


@pytest.mark.parametrize("value", ["full", "none", "00", "2", "quick", "yess", "-1"])
def test_other_values_are_an_error_naming_the_variable_and_the_choices(value):
    with pytest.raises(ValueError) as caught:
        config.parse_flag(value)
    message = str(caught.value)
    assert "CNNLAB_QUICK" in message and repr(value) in message
    for spelling in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        assert spelling in message.split("Use one of")[1]


def test_a_bad_value_stops_the_import_with_that_error():
    process = run_with("full")  # read as quick mode before: any non-empty text but 0/false/no was true
    assert process.returncode != 0
    last_line = process.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ValueError: CNNLAB_QUICK='full' is not a true/false value")


def test_quick_mode_caps_the_epochs_at_one(monkeypatch):
    monkeypatch.setattr(config, "quick", True)
    assert (config.epochs_to_train(12), config.epochs_to_train(1)) == (1, 1)
    monkeypatch.setattr(config, "quick", False)
    assert config.epochs_to_train(12) == 12
