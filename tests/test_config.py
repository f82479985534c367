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
