"""The plugin in real QGIS: loads, adds its dock/action/provider, talks to a real runner, unloads cleanly."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from qgis.core import QgsApplication

from omnisat_qgis import classFactory, runner_manager


def test_load_and_unload_leave_nothing_behind(qgis_app, qgis_iface, tmp_path) -> None:
    registry = QgsApplication.processingRegistry()
    if registry.providerById("omnisat") is not None:  # a session provider from other tests: the plugin's own now
        registry.removeProvider(registry.providerById("omnisat"))
    plugin = classFactory(qgis_iface)
    plugin.initGui()
    assert registry.providerById("omnisat") is not None
    assert {a.id() for a in registry.providerById("omnisat").algorithms()} == {
        "omnisat:classify_extent", "omnisat:pretrain", "omnisat:finetune", "omnisat:export_map"}
    assert plugin.dock is not None and plugin.action is not None
    plugin.action.setChecked(True)
    assert not plugin.dock.isHidden()  # the toolbar action shows the dock

    manager = runner_manager.configure(python=sys.executable, home=tmp_path / "home")
    health = manager.client().health()
    assert health["device"] == "cpu" and health["protocol"] == 1
    pid = manager.proc.pid

    job = manager.client().submit("pretrain", {"s2": [str(tmp_path / "S2_20200101.tif")], "out_model": "x",
                                               "size": "tiny", "epochs": 50})
    manager.client().cancel(job["id"])
    deadline = time.monotonic() + 60
    while manager.client().job(job["id"])["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert manager.client().job(job["id"])["state"] in ("cancelled", "failed")

    plugin.unload()
    assert registry.providerById("omnisat") is None
    assert plugin.dock is None and plugin.action is None
    assert not _alive(pid), "the runner process survived unload"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return os.path.exists(f"/proc/{pid}") and "zombie" not in open(f"/proc/{pid}/status").read().lower()
    except ProcessLookupError:
        return False


def test_a_runner_started_by_a_python_that_exits_is_stopped(tmp_path) -> None:
    """`qgis_process` never unloads plugins: the runner its algorithm started must end with its Python."""
    import subprocess

    code = ("import sys; from pathlib import Path; from omnisat_qgis import runner_manager as rm; "
            "m = rm.configure(python=sys.executable, home=Path(sys.argv[1])); m.client(); print(m.proc.pid)")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "home")], cwd=Path(__file__).parents[2],
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0, r.stderr[-2000:]
    pid = int(r.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "the runner outlived the Python that started it"


def test_bad_runner_python_gives_a_clear_error(qgis_app, tmp_path) -> None:
    from omnisat_qgis.client import RunnerError

    manager = runner_manager.RunnerManager(python=str(tmp_path / "nope" / "python"), home=tmp_path / "h")
    try:
        manager.client()
    except RunnerError as err:
        assert "Install runner" in err.message
    else:
        raise AssertionError("expected a RunnerError")


def test_settings_dialog_saves_and_reconfigures(qgis_app, tmp_path) -> None:
    from omnisat_qgis.gui.settings_dialog import SettingsDialog, read_settings

    dialog = SettingsDialog()
    dialog.home.setFilePath(str(tmp_path / "home2"))
    dialog.python.setFilePath(sys.executable)
    dialog.save()
    assert read_settings()["runner_home"] == str(tmp_path / "home2")
    assert runner_manager.manager().home == tmp_path / "home2"
    dialog.copy_diagnostics()
    from qgis.PyQt.QtWidgets import QApplication

    report = QApplication.clipboard().text()
    assert "QGIS" in report and str(Path.home()) not in report
    runner_manager.shutdown()
    from omnisat_qgis.gui.settings_dialog import write_settings

    write_settings({})  # leave no settings behind for other tests


def test_runner_dying_under_the_plugin_is_reported_and_restarted(qgis_app, tmp_path) -> None:
    import signal

    from omnisat_qgis.client import RunnerError

    manager = runner_manager.configure(python=sys.executable, home=tmp_path / "home")
    client = manager.client()
    first_pid = manager.proc.pid
    os.kill(first_pid, signal.SIGKILL)
    manager.proc.wait(10)
    try:
        client.health()
    except RunnerError as err:
        assert "not reachable" in err.message
    else:
        raise AssertionError("a dead runner answered")
    again = manager.client()  # what the dock's "Connect / restart runner" does
    assert again.health()["protocol"] == 1 and manager.proc.pid != first_pid
    runner_manager.shutdown()
