"""Run a slow call (an HTTP request, starting the runner, probing Pythons or GPUs) on a worker thread and hand its
result to a callback on the main thread, so QGIS never freezes while the plugin waits.

Why a QgsTask and not a QThread: QGIS's task manager shows it, cancels it at exit and runs `finished()` on the main
thread, the only thread that may touch widgets and layers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qgis.core import QgsApplication, QgsTask
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QObject

Done = Callable[[Any, "str | None"], None]   # (value, error message or None)
_LIVE: set[CallTask] = set()                 # Python wrappers kept alive until finished() ran
# short calls: QGIS may cancel them at exit without asking, and (QGIS >= 3.26) keeps them out of its task list
_FLAGS = QgsTask.Flag.CanCancel | QgsTask.Flag.CancelWithoutPrompt
if getattr(QgsTask.Flag, "Hidden", None) is not None:
    _FLAGS |= QgsTask.Flag.Hidden


def error_text(err: BaseException) -> str:
    """The user-facing words of an exception: a RunnerError's own message, else its type and text."""
    message = getattr(err, "message", None)
    if isinstance(message, str) and message:
        return message
    text = str(err)
    return text if text and not isinstance(err, (KeyError, AttributeError)) else f"{type(err).__name__}: {err}"


class CallTask(QgsTask):
    """`fn()` on a worker thread; `on_done(value, error)` on the main thread unless `owner` was deleted."""

    def __init__(self, description: str, fn: Callable[[], Any], on_done: Done | None,
                 owner: QObject | None = None) -> None:
        super().__init__(description, _FLAGS)
        self.fn, self.on_done, self.owner = fn, on_done, owner
        self.value: Any = None
        self.error: str | None = None

    def run(self) -> bool:  # worker thread: no widgets here
        try:
            self.value = self.fn()
        except Exception as err:  # noqa: BLE001 - every failure becomes a message on the main thread
            self.error = error_text(err)
            return False
        return True

    def finished(self, result: bool) -> None:  # main thread
        _LIVE.discard(self)
        if self.on_done is None or (self.owner is not None and sip.isdeleted(self.owner)):
            return
        if not result and self.error is None:
            self.error = "cancelled"
        self.on_done(self.value, self.error)


def run_in_background(description: str, fn: Callable[[], Any], on_done: Done | None = None,
                      owner: QObject | None = None) -> CallTask:
    """Queue `fn` on QGIS's task manager; returns the task (its `value`/`error` are set when it ends)."""
    task = CallTask(description, fn, on_done, owner)
    _LIVE.add(task)
    QgsApplication.taskManager().addTask(task)
    return task
