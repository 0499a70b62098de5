"""What training needs from whoever runs it: report progress and events, honour cancel, a folder for checkpoints.

A Protocol rather than runner.jobs.JobContext, so the training loop depends on these five members only: the job
worker's and the CLI's contexts satisfy it as they are, and a test or a notebook can pass any object that has them.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol


class TrainingContext(Protocol):
    """The part of a job context the training loop uses."""

    @property
    def work_dir(self) -> Path:
        """The job's own folder (checkpoints to resume from, debug files)."""
        ...

    def progress(self, stage: str, done: int, total: int, **metrics: Any) -> None:
        """How far the stage is; cheap, called every step."""
        ...

    def event(self, kind: str, message: str, **data: Any) -> None:
        """A line for the user's log (epoch summaries, resume, early stop)."""
        ...

    def check_cancel(self) -> None:
        """Raise runner.errors.Cancelled when the user asked to stop; called between steps."""
        ...

    def cancel_points(self, model: Any) -> AbstractContextManager[None]:
        """While open, a cancel may also land inside the model's forward and backward passes (a long step);
        a context with nothing to add returns `contextlib.nullcontext()`."""
        ...
