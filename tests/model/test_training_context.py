"""Training depends on runner.train.context.TrainingContext only: any object with its five members runs it.

The object here is not a runner.jobs.JobContext (nor derived from one), so a training function that reached for
a JobContext-only member (job_id, home, cancelled, last_progress...) would fail this test."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from runner.errors import Cancelled
from runner.jobs.context import JobContext
from runner.model import OmniSatConfig
from runner.train import TrainOptions, pretrain
from tests.model.conftest import batch_set


class PlainContext:
    """The five members of TrainingContext and nothing else."""

    def __init__(self, work_dir: Path, cancel_after: int | None = None) -> None:
        self._work_dir = work_dir
        self.steps: list[tuple[str, int, int]] = []
        self.events: list[str] = []
        self.cancel_after = cancel_after

    @property
    def work_dir(self) -> Path:
        return self._work_dir

    def progress(self, stage: str, done: int, total: int, **metrics: Any) -> None:
        self.steps.append((stage, done, total))

    def event(self, kind: str, message: str, **data: Any) -> None:
        self.events.append(kind)

    def check_cancel(self) -> None:
        if self.cancel_after is not None and len(self.steps) >= self.cancel_after:
            raise Cancelled("stopped by the test")

    def cancel_points(self, model: Any) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()  # cancel between steps only


def _cfg() -> OmniSatConfig:
    return OmniSatConfig.for_size("tiny", {"aerial": 4, "s1": 2, "s2": 10}, aerial_px=10)


def test_pretraining_runs_with_a_context_that_is_not_a_job_context(tmp_path: Path) -> None:
    assert not isinstance(PlainContext(tmp_path), JobContext)
    ctx = PlainContext(tmp_path)
    train, val = batch_set(21, 2, b=2, t=4), batch_set(22, 1, b=2, t=4)
    result = pretrain(_cfg(), lambda e: train, lambda: val, TrainOptions(epochs=2, seed=1), ctx, tmp_path / "ck")
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert ctx.steps == [("pretrain", 1, 4), ("pretrain", 2, 4), ("pretrain", 3, 4), ("pretrain", 4, 4)]
    assert ctx.events == ["epoch", "epoch"]


def test_cancel_through_the_protocol_stops_training(tmp_path: Path) -> None:
    ctx = PlainContext(tmp_path, cancel_after=1)
    train, val = batch_set(23, 3, b=2, t=4), batch_set(24, 1, b=2, t=4)
    with pytest.raises(Cancelled):
        pretrain(_cfg(), lambda e: train, lambda: val, TrainOptions(epochs=2, seed=1), ctx, tmp_path / "ck")
    assert len(ctx.steps) == 1
