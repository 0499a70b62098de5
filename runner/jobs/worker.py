"""The worker: one thread that runs queued jobs one at a time on the device.

One at a time because a CPU has no spare cores and a GPU no spare memory for a second training; the queue keeps
submission order. Operations report through a `StoreContext`, so progress and events land in SQLite and survive
the runner.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runner.errors import Cancelled, InputError, ResourceError
from runner.jobs.context import JobContext
from runner.jobs.store import JobStore

log = logging.getLogger("runner.worker")

Operation = Callable[[str, dict[str, Any], JobContext], dict[str, Any]]
Admit = Callable[[str, dict[str, Any]], "str | None"]  # (kind, spec) → why it may not run now, or None


def describe_os_error(err: OSError) -> str:
    """One line for the user: what happened to which file."""
    where = f" ({err.filename})" if getattr(err, "filename", None) else ""
    if err.errno == errno.ENOSPC:
        return f"disk full while writing{where}: free some space or choose another output folder; nothing was kept"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"no permission to write{where}: choose a folder you can write to"
    return f"{err.strerror or type(err).__name__}{where}"


OUTPUT_KEYS = ("class_map", "confidence", "qml")


def written_files(result: dict[str, Any]) -> list[str]:
    """The files a finished job wrote, resolved: what GET /v1/files may serve (nothing else on the disk)."""
    found = []
    for key in OUTPUT_KEYS:
        value = result.get(key) if isinstance(result, dict) else None
        if isinstance(value, str) and value and os.path.isfile(value):
            found.append(os.path.realpath(value))
    return found


class StoreContext(JobContext):
    """Progress to the job store (throttled: at most a few writes a second), cancel from the store or the API."""

    def __init__(self, store: JobStore, job_id: str, home: Path, work_dir: Path) -> None:
        super().__init__(job_id, home, work_dir)
        self.store = store
        self._last_write = 0.0

    def _on_progress(self, progress: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - self._last_write >= 0.25 or progress["done"] >= progress["total"]:
            self._last_write = now
            self.store.set_progress(self.job_id, progress)

    def _on_event(self, kind: str, message: str, data: dict[str, Any]) -> None:
        self.store.add_event(self.job_id, kind, message, data)

    def check_cancel(self) -> None:
        if not self.cancelled and self.store.cancel_requested(self.job_id):
            self.cancel()
        super().check_cancel()


class Worker:
    def __init__(self, store: JobStore, home: Path, operation: Operation, admit: Admit | None = None) -> None:
        """`admit` checks a job against the runner's access policy again just before it runs: a job queued or
        interrupted under a runner started with other roots must obey the roots of the runner that runs it."""
        self.store = store
        self.home = Path(home)
        self.operation = operation
        self.admit = admit
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._current: StoreContext | None = None
        self._thread = threading.Thread(target=self._loop, name="omnisat-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._current is not None:
            self._current.cancel()
        self._wake.set()
        self._thread.join(timeout)

    def notify(self) -> None:
        """A job was queued: wake the loop instead of waiting for the next poll."""
        self._wake.set()

    def cancel(self, job_id: str) -> None:
        ctx = self._current
        if ctx is not None and ctx.job_id == job_id:
            ctx.cancel()

    @property
    def busy(self) -> bool:
        return self._current is not None

    def _loop(self) -> None:
        while not self._stop.is_set():
            job = self.store.next_queued()
            if job is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            self._run(job)

    def _run(self, job: dict[str, Any]) -> None:
        job_id = job["id"]
        refusal = self.admit(job["kind"], job["spec"]) if self.admit is not None else None
        if refusal is not None:
            self.store.finish(job_id, "failed", refusal)
            return
        ctx = StoreContext(self.store, job_id, self.home, self.home / "jobs" / job_id)
        self._current = ctx
        try:
            result = self.operation(job["kind"], job["spec"], ctx)
            self.store.finish(job_id, "done", None, result, outputs=written_files(result))
        except Cancelled:
            self.store.finish(job_id, "cancelled", "cancelled by the user")
        except (InputError, ResourceError) as err:
            self.store.finish(job_id, "failed", str(err))
        except OSError as err:  # disk full, permissions, a file vanishing: the user's to fix, so say which
            self.store.add_event(job_id, "traceback", traceback.format_exc())
            self.store.finish(job_id, "failed", describe_os_error(err))
        except Exception as err:  # a bug or an environment fault: keep the runner up, keep the details
            log.exception("job %s failed", job_id)
            self.store.add_event(job_id, "traceback", traceback.format_exc())
            self.store.finish(job_id, "failed", f"internal error: {type(err).__name__}: {err}")
        finally:
            self._current = None
