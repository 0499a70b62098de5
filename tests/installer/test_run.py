"""Running install steps: log file, progress, a failure naming the exact step and log tail, retry, cancel."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from omnisat_qgis.installer import InstallCancelled, InstallError, Step, run_plan


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_failure_names_step_command_and_log_tail_then_retry_skips_done(tmp_path: Path) -> None:
    marker = tmp_path / "fixed"
    log = tmp_path / "logs" / "install.log"
    steps = [
        Step("create virtual environment", _py("open({!r}, 'a').write('x')".format(str(tmp_path / "count"))),
             done=lambda: (tmp_path / "count").exists()),
        Step("install PyTorch 2.13.0 (cpu)",
             _py("import os, sys\nfor i in range(50): print('line', i)\n"
                 "print('ERROR: No matching distribution found for torch==2.13.0')\n"
                 f"sys.exit(0 if os.path.exists({str(marker)!r}) else 1)")),
        Step("check the runner", _py("print('ok')")),
    ]
    seen: list[tuple[int, int, str]] = []
    with pytest.raises(InstallError) as caught:
        run_plan(steps, log, progress=lambda i, n, m: seen.append((i, n, m)))
    err = caught.value
    assert err.step == "install PyTorch 2.13.0 (cpu)" and err.returncode == 1
    assert "-c" in err.command and sys.executable in err.command
    assert err.log_tail.splitlines()[-1] == "ERROR: No matching distribution found for torch==2.13.0"
    assert "line 49" in err.log_tail and "line 5\n" not in err.log_tail       # only the tail
    assert "Install step 'install PyTorch 2.13.0 (cpu)' failed with exit code 1" in str(err)
    text = log.read_text()
    assert "line 0" in text and "exit code 1" in text
    assert any("line 49" in m for _, _, m in seen)

    marker.write_text("")                                                      # the user fixed the cause
    results = run_plan(steps, log)
    assert [r.skipped for r in results] == [True, False, False]
    assert (tmp_path / "count").read_text() == "x"                             # step 1 ran once only
    assert results[-1].output_tail == "ok"
    assert log.read_text().count("==== OmniSat runner install") == 2


def test_missing_program_is_a_step_failure(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match="Install step 'create virtual environment' failed with exit code 127"):
        run_plan([Step("create virtual environment", [str(tmp_path / "no-python"), "-m", "venv", "x"])],
                 tmp_path / "install.log")


def test_cancel_stops_the_running_step(tmp_path: Path) -> None:
    flag = {"cancel": False}

    def progress(i: int, n: int, message: str) -> None:
        if "tick 3" in message:
            flag["cancel"] = True

    slow = Step("install the OmniSat runner",
                _py("import time\nfor i in range(100):\n    print('tick', i, flush=True)\n    time.sleep(0.05)"))
    after = tmp_path / "after"
    with pytest.raises(InstallCancelled, match="install the OmniSat runner"):
        run_plan([slow, Step("never", _py(f"open({str(after)!r}, 'w')"))], tmp_path / "install.log",
                 progress=progress, cancelled=lambda: flag["cancel"])
    assert not after.exists()
    assert "cancelled by the user" in (tmp_path / "install.log").read_text()
