"""The one-line summary of how the runner ran a job (plain function, no QGIS needed)."""

from __future__ import annotations

from omnisat_qgis.results import run_summary


def test_summary_names_precision_device_batch_and_time() -> None:
    result = {"precision": "bf16", "device": "cpu", "batch_size": 8, "timings": {"total": 14.73, "model": 12.0}}
    assert run_summary(result) == " (bf16 on cpu, 8 tiles per batch, 14.7 s)"


def test_summary_of_an_older_runner_says_what_it_can() -> None:
    assert run_summary({"batch_size": 4}) == " (4 tiles per batch)"
    assert run_summary({"class_map": "m.tif"}) == ""
