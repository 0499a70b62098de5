"""Run an install plan step by step in subprocesses, logging everything and failing with the exact step.

Output of every command goes line by line into one log file (and to a progress callback); memory holds only
the last lines for the error message. A failed step raises `InstallError` naming the step, its command, its
exit code and the log tail; calling `run_plan` again retries (finished steps report themselves as done).
"""

from __future__ import annotations

import collections
import os
import subprocess  # nosec B404: argument lists built by plan.py, no shell
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .plan import Step

Progress = Callable[[int, int, str], None]      # (step index, step count, message)


class InstallError(Exception):
    """An install step failed; str() is the whole story for the user (step, command, exit code, log tail)."""

    def __init__(self, step: str, command: str, returncode: int | None, log_tail: str, log_path: Path) -> None:
        self.step, self.command, self.returncode = step, command, returncode
        self.log_tail, self.log_path = log_tail, log_path
        code = "was cancelled" if returncode is None else f"failed with exit code {returncode}"
        super().__init__(f"Install step '{step}' {code}.\nCommand: {command}\nLog: {log_path}\n"
                         f"Last lines of the log:\n{log_tail}\nFix the cause and press Retry: finished steps are "
                         "skipped.")


class InstallCancelled(Exception):
    """The user cancelled; the partially done step is left for the retry to finish."""


@dataclass
class StepResult:
    name: str
    skipped: bool
    seconds: float
    output_tail: str


def run_plan(steps: Sequence[Step], log_path: Path, env: dict[str, str] | None = None,
             progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
             cwd: Path | None = None, tail_lines: int = 30) -> list[StepResult]:
    """Run the steps in order; append to `log_path`; raise InstallError at the first failure."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    results: list[StepResult] = []
    progress = progress or (lambda i, n, msg: None)
    with open(log_path, "a", encoding="utf-8", errors="replace") as log:
        log.write(f"\n==== OmniSat runner install {time.strftime('%Y-%m-%d %H:%M:%S')} ====\n")
        for index, step in enumerate(steps):
            if cancelled and cancelled():
                raise InstallCancelled(f"cancelled before '{step.name}'")
            if step.done is not None and step.done():
                log.write(f"---- {step.name}: already done, skipped\n")
                progress(index + 1, len(steps), f"{step.name}: already done")
                results.append(StepResult(step.name, True, 0.0, ""))
                continue
            progress(index, len(steps), step.name)
            log.write(f"---- {step.name}\n$ {step.command_text()}\n")
            log.flush()
            start = time.monotonic()
            code, tail = _run_step(step, log, env, cwd, tail_lines, cancelled,
                                   lambda line, i=index, s=step.name: progress(i, len(steps), f"{s}: {line}"))
            log.write(f"---- {step.name}: exit code {code} after {time.monotonic() - start:.1f} s\n")
            log.flush()
            if code != 0:
                raise InstallError(step.name, step.command_text(), code, tail, log_path)
            results.append(StepResult(step.name, False, time.monotonic() - start, tail))
            progress(index + 1, len(steps), f"{step.name}: done")
    return results


def _run_step(step: Step, log, env: dict[str, str] | None, cwd: Path | None, tail_lines: int,
              cancelled: Callable[[], bool] | None, on_line: Callable[[str], None]) -> tuple[int | None, str]:
    tail: collections.deque[str] = collections.deque(maxlen=tail_lines)
    try:
        proc = subprocess.Popen(step.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,  # nosec B603
                                stdin=subprocess.DEVNULL, env=env, cwd=str(cwd or Path.home()), text=True,
                                encoding="utf-8", errors="replace", bufsize=1, **_hidden_window())
    except OSError as err:
        message = f"cannot start {step.command[0]}: {err}"
        log.write(message + "\n")
        return 127, message
    assert proc.stdout is not None  # nosec B101: set by stdout=PIPE
    for line in proc.stdout:
        line = line.rstrip("\n")
        log.write(line + "\n")
        tail.append(line)
        if line.strip():
            on_line(line.strip()[:200])
        if cancelled and cancelled():
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.write("---- cancelled by the user\n")
            raise InstallCancelled(f"cancelled during '{step.name}'")
    code = proc.wait()
    return code, "\n".join(tail)


def _hidden_window() -> dict:
    """No console window flashing up on Windows for each step."""
    if os.name == "nt" and sys.platform.startswith("win"):
        return {"creationflags": getattr(subprocess, "CREATE_NO_WINDOW", 0)}
    return {}
