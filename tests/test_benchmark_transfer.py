"""benchmarks/transfer.py: its command line refuses bad input before any training, and its table
shows every run and the mean."""

import pytest

from benchmarks import transfer as benchmark

RUNS = [{"seed": 0, "count": 100, "from scratch": 0.5, "frozen": 0.6, "fine-tuned": 0.7},
        {"seed": 1, "count": 100, "from scratch": 0.7, "frozen": 0.8, "fine-tuned": 0.9}]


def test_table_lists_each_run_and_the_mean():
    lines = benchmark.summarise(RUNS, [100]).splitlines()
    assert len(lines) == 2 and "fine-tuned" in lines[0]
    row = lines[1]
    assert row.split("|")[0].strip() == "100"
    assert "50.0% 70.0% (mean 60.0%)" in row and "70.0% 90.0% (mean 80.0%)" in row


@pytest.mark.parametrize("sizes", [["99"], ["0"], ["100", "7"]])
def test_odd_or_empty_sizes_are_refused(sizes, capsys):  # checked before quick mode's refusal
    with pytest.raises(SystemExit):
        benchmark.parse_arguments(["--data-dir", ".", "--sizes", *sizes])
    assert "--sizes must be even" in capsys.readouterr().err


def test_a_missing_data_folder_is_named_before_any_training(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmark.config, "quick", False)  # `make test` runs in quick mode
    with pytest.raises(FileNotFoundError, match="not a directory"):
        benchmark.main(["--data-dir", str(tmp_path / "nowhere"), "--seeds", "0"])
