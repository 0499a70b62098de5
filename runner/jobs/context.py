"""The handle an operation (pretrain, finetune, classify) gets to report progress and honour cancel.

Operations are plain functions `run_<kind>(spec, ctx) -> dict`; they know nothing of HTTP or SQLite. The
server's worker passes a context backed by the job store; the CLI passes `ConsoleContext`.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runner.errors import Cancelled


class JobContext:
    """Base context: records progress in memory, cancels through a threading.Event."""

    def __init__(self, job_id: str, home: Path, work_dir: Path) -> None:
        self.job_id = job_id
        self.home = Path(home)
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._cancel = threading.Event()
        self._last_poll = 0.0
        self.started = time.monotonic()
        self.last_progress: dict[str, Any] = {}

    # -- cancel -------------------------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancel(self) -> None:
        """Raise Cancelled if the user asked to stop; call between steps and batches."""
        if self._cancel.is_set():
            raise Cancelled(f"job {self.job_id} cancelled")

    def poll_cancel(self, every_s: float = 0.2) -> None:
        """`check_cancel` cheap enough to call from every layer: the in-memory flag each time, the slower source
        (a subclass's job store) at most every `every_s` seconds."""
        if self._cancel.is_set():
            raise Cancelled(f"job {self.job_id} cancelled")
        now = time.monotonic()
        if now - self._last_poll >= every_s:
            self._last_poll = now
            self.check_cancel()

    @contextmanager
    def cancel_points(self, model: Any) -> Iterator[None]:
        """Let a cancel land inside a forward or backward pass, not only between steps.

        Why: one training step of a base model on a busy CPU takes seconds, so checking between steps made a cancel
        wait for the step to end. A forward pre-hook on every module and a gradient hook on every trainable
        parameter call `poll_cancel`; the `Cancelled` they raise ends the pass where it is (the job is ending, so
        half-computed gradients are dropped with it). The hooks are removed on exit."""
        handles = [m.register_forward_pre_hook(lambda *_: self.poll_cancel()) for m in model.modules()]

        def on_grad(grad: Any) -> None:
            self.poll_cancel()

        handles += [p.register_hook(on_grad) for p in model.parameters() if p.requires_grad]
        try:
            yield
        finally:
            for h in handles:
                h.remove()

    # -- reporting ----------------------------------------------------------------------------------
    def progress(self, stage: str, done: int, total: int, **metrics: Any) -> None:
        """Record how far the current stage is; ETA is extrapolated from the stage's elapsed time."""
        now = time.monotonic()
        if self.last_progress.get("stage") != stage:
            self._stage_start = now
        elapsed = now - getattr(self, "_stage_start", now)
        fraction = (done / total) if total else 0.0
        eta = (elapsed / fraction - elapsed) if fraction > 0 else None
        self.last_progress = {
            "stage": stage, "done": int(done), "total": int(total), "fraction": round(fraction, 4),
            "eta_s": None if eta is None else round(eta, 1), "metrics": _jsonable(metrics),
        }
        self._on_progress(self.last_progress)

    def event(self, kind: str, message: str, **data: Any) -> None:
        self._on_event(kind, message, _jsonable(data))

    # hooks for subclasses
    def _on_progress(self, progress: dict[str, Any]) -> None:  # pragma: no cover - overridden
        pass

    def _on_event(self, kind: str, message: str, data: dict[str, Any]) -> None:  # pragma: no cover
        pass


class ConsoleContext(JobContext):
    """Context for the CLI: progress as one rewritten line on stderr, events as log lines."""

    def __init__(self, job_id: str, home: Path, work_dir: Path, quiet: bool = False) -> None:
        super().__init__(job_id, home, work_dir)
        self.quiet = quiet
        self._last_print = 0.0

    def _on_progress(self, p: dict[str, Any]) -> None:
        now = time.monotonic()
        if self.quiet or (now - self._last_print < 0.5 and p["done"] < p["total"]):
            return
        self._last_print = now
        metrics = " ".join(f"{k}={_fmt(v)}" for k, v in p["metrics"].items())
        eta = f" eta {p['eta_s']:.0f}s" if p["eta_s"] is not None else ""
        print(f"\r[{p['stage']}] {p['done']}/{p['total']} {metrics}{eta}".ljust(78), end="", file=sys.stderr)
        if p["done"] >= p["total"]:
            print(file=sys.stderr)

    def _on_event(self, kind: str, message: str, data: dict[str, Any]) -> None:
        if not self.quiet:
            print(f"{kind}: {message}", file=sys.stderr)


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    """Make numpy/torch scalars JSON-safe without importing either."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if hasattr(v, "item") and callable(v.item):
            try:
                v = v.item()
            except (ValueError, RuntimeError):
                v = str(v)
        out[k] = v
    return out
