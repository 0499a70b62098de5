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
    from tests.plugin.conftest import wait_for

    dialog = SettingsDialog(probe=False)
    dialog.home.setFilePath(str(tmp_path / "home2"))
    dialog.python.setFilePath(sys.executable)
    dialog.save()
    assert read_settings()["runner_home"] == str(tmp_path / "home2")
    assert runner_manager.manager().home == tmp_path / "home2"
    task = dialog.copy_diagnostics()  # in the background: the report asks the runner for its health
    wait_for(lambda: "clipboard" in dialog.status.text() or "failed" in dialog.status.text(), 60)
    assert task.error is None, task.error
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


def test_the_token_lives_in_the_auth_database_and_a_plain_one_is_migrated(qgis_app) -> None:
    from qgis.core import QgsApplication, QgsSettings

    from omnisat_qgis import token_store
    from omnisat_qgis.gui.settings_dialog import read_settings, write_settings

    am = QgsApplication.authManager()
    if am.isDisabled():
        import pytest

        pytest.skip("QGIS's authentication database is disabled here")
    if not am.masterPasswordIsSet():
        assert am.setMasterPassword("omnisat-test-master", True)
    s = QgsSettings()
    s.setValue(token_store.PLAIN_KEY, "plain-token-1234")  # what older versions saved
    try:
        assert token_store.read_token() == "plain-token-1234"
        assert not s.value(token_store.PLAIN_KEY, ""), "the plain copy must be erased"
        authcfg = s.value(token_store.AUTHCFG_KEY, "")
        assert authcfg in am.configIds()
        assert "plain-token-1234" not in open(s.fileName(), encoding="utf-8", errors="replace").read()
        assert write_settings({"runner_url": "https://gpu.example.org", "runner_token": "second-token-5678"})
        assert read_settings()["runner_token"] == "second-token-5678"
        assert s.value(token_store.AUTHCFG_KEY, "") == authcfg  # the same configuration, updated
        assert runner_manager._settings()["token"] == "second-token-5678"
    finally:
        write_settings({})
    assert not s.value(token_store.AUTHCFG_KEY, "") and authcfg not in am.configIds()


def test_starting_a_runner_leaves_no_file_open_in_qgis(qgis_app, tmp_path) -> None:
    import gc
    import warnings

    manager = runner_manager.RunnerManager(python=sys.executable, home=tmp_path / "h")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        manager.start()
        gc.collect()
    try:
        open_files = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
        assert str(tmp_path / "h" / "plugin-started-runner.log") not in open_files
        assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]
        assert (tmp_path / "h" / "plugin-started-runner.log").exists()  # the runner still writes its log there
    finally:
        manager.stop()
