"""InstallRunnerTask inside real QGIS: a failing install reaches the callback with the step and its log."""

from __future__ import annotations

import time
from pathlib import Path

from qgis.core import QgsApplication, QgsTask

from omnisat_qgis.installer import InstallOptions, override_build
from omnisat_qgis.installer.task import InstallRunnerTask


def test_failing_install_task_reports_step_and_log(qgis_app, tmp_path: Path) -> None:
    options = InstallOptions(tmp_path / "home", str(tmp_path / "no-such-python"), str(tmp_path),
                             override_build("cpu"))
    outcome: list[tuple[bool, dict, str]] = []
    task = InstallRunnerTask(options, on_done=lambda ok, info, err: outcome.append((ok, info, err)))
    assert task.canCancel() and "cpu" in task.description()
    QgsApplication.taskManager().addTask(task)
    deadline = time.monotonic() + 60
    while not outcome and time.monotonic() < deadline:
        qgis_app.processEvents()
        time.sleep(0.02)
    ok, info, error = outcome[0]
    assert not ok and info == {}
    assert "Install step 'create virtual environment' failed with exit code 127" in error
    assert "cannot start" in error and "no-such-python" in error
    assert str(tmp_path / "home" / "logs" / "install.log") in error
    assert task.status() == QgsTask.TaskStatus.Terminated
    assert (tmp_path / "home" / "logs" / "install.log").is_file()
