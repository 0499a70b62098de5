"""Settings: which runner (a local Python, or a URL and token), its home, device preference; status, diagnostics,
installing the runner into its own environment."""

from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsSettings
from qgis.gui import QgsFileWidget
from qgis.PyQt.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from omnisat_qgis import runner_manager
from omnisat_qgis.client import RunnerError
from omnisat_qgis.tasks import log

KEYS = ("runner_python", "runner_home", "runner_url", "runner_token", "device")


def read_settings() -> dict[str, str]:
    s = QgsSettings()
    return {k: s.value(f"omnisat/{k}", "") or "" for k in KEYS}


def write_settings(values: dict[str, str]) -> None:
    s = QgsSettings()
    for k in KEYS:
        s.setValue(f"omnisat/{k}", values.get(k, ""))


class SettingsDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("OmniSat settings")
        values = read_settings()
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.python = QgsFileWidget()
        self.python.setFilePath(values["runner_python"] or (runner_manager.default_python() or ""))
        self.home = QgsFileWidget()
        self.home.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        self.home.setFilePath(values["runner_home"] or str(runner_manager.default_home()))
        self.url = QLineEdit(values["runner_url"])
        self.url.setPlaceholderText("empty: a local runner started by the plugin; or https://gpu-server:8443")
        self.token = QLineEdit(values["runner_token"])
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.device.setCurrentText(values["device"] or "auto")
        form.addRow("Runner Python", self.python)
        form.addRow("Runner home", self.home)
        form.addRow("Remote runner URL", self.url)
        form.addRow("Remote runner token", self.token)
        form.addRow("Device", self.device)
        lay.addLayout(form)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        for text, slot in (("Test runner", self.test_runner), ("Copy diagnostics", self.copy_diagnostics),
                           ("Install runner", self.install_runner)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            lay.addWidget(b)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def values(self) -> dict[str, str]:
        return {"runner_python": self.python.filePath(), "runner_home": self.home.filePath(),
                "runner_url": self.url.text().strip(), "runner_token": self.token.text().strip(),
                "device": self.device.currentText()}

    def save(self) -> None:
        v = self.values()
        write_settings(v)
        runner_manager.configure(python=v["runner_python"] or None, home=Path(v["runner_home"]) if v["runner_home"]
                                 else None, url=v["runner_url"] or None, token=v["runner_token"] or None)
        self.accept()

    def test_runner(self) -> None:
        """Health, then a tiny scene classified end to end on the runner's device (a selftest job)."""
        from omnisat_qgis.tasks import RunnerJobTask

        try:
            h = runner_manager.manager().client().health()
        except RunnerError as err:
            self.status.setText(f"not reachable: {err.message}")
            return
        head = (f"runner {h['runner_version']} on {h['device_name']} (torch {h['torch_version']}, protocol "
                f"{h['protocol']}, path access {h.get('path_access')})")
        self.status.setText(head + " — running a tiny classification…")

        def done(job, error) -> None:
            if error:
                self.status.setText(f"{head}\nselftest failed: {error}")
            else:
                t = job["result"]["timings"]
                self.status.setText(f"{head}\nselftest passed: tiny scene trained in {t['finetune_s']} s and "
                                    f"classified in {t['classify_s']} s")

        self._selftest = RunnerJobTask("OmniSat: test runner", runner_manager.current_client, "selftest", {},
                                       done)
        QgsApplication.taskManager().addTask(self._selftest)

    def copy_diagnostics(self) -> None:
        from omnisat_qgis.diagnostics import build_report

        m = runner_manager.manager()
        try:
            client = m.client(start=False)
        except RunnerError:
            client = None
        secrets = [s for s in (self.token.text(), getattr(client, "token", "")) if s]
        report = build_report(client, runner_home=m.home, runner_url=getattr(client, "url", None), secrets=secrets)
        QApplication.clipboard().setText(report)
        self.status.setText("Diagnostics copied to the clipboard (paths and tokens redacted).")

    def install_runner(self) -> None:
        from omnisat_qgis.installer import InstallOptions, NoPythonFound, detect_build, find_python
        from omnisat_qgis.installer.plan import locate_runner_source
        from omnisat_qgis.installer.task import InstallRunnerTask

        try:
            python = find_python()
        except NoPythonFound as err:  # the finder explains what it tried
            self.status.setText(f"No usable Python 3.10+ found: {err}")
            return
        source = locate_runner_source(Path(__file__).resolve().parents[1])
        if source is None:
            self.status.setText("The runner package was not found next to the plugin; see docs/install.md")
            return
        build, _gpus = detect_build()
        self.status.setText(f"Installing the runner with PyTorch {build.build} ({build.reason})…")
        opts = InstallOptions(home=Path(self.home.filePath()), python=str(getattr(python, "path", python)),
                              runner_source=str(source), torch_build=build)

        def done(ok: bool, info, error_text) -> None:
            if ok:
                self.python.setFilePath(str(opts.venv_python))
                self.status.setText(f"Runner installed: {info}")
            else:
                self.status.setText(f"Install failed: {error_text}")
                log(f"install failed: {error_text}", Qgis.MessageLevel.Critical)

        self._install_task = InstallRunnerTask(opts, on_done=done)
        QgsApplication.taskManager().addTask(self._install_task)
