"""Settings: which runner (a local Python, or a URL and token), its home, device preference; status, diagnostics,
installing the runner into its own environment.

Every probe (the runner's health, the Python an install would use, `nvidia-smi` for the PyTorch build) runs in a
background task the moment the dialog opens, so the dialog appears at once and QGIS never freezes; their answers
fill the status lines when they arrive. The token goes to QGIS's authentication database (token_store.py).
"""

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
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from omnisat_qgis import runner_manager
from omnisat_qgis.background import run_in_background
from omnisat_qgis.i18n import tr
from omnisat_qgis.tasks import log

KEYS = ("runner_python", "runner_home", "runner_url", "device")


def read_settings() -> dict[str, str]:
    from omnisat_qgis.token_store import read_token

    s = QgsSettings()
    values = {k: s.value(f"omnisat/{k}", "") or "" for k in KEYS}
    values["runner_token"] = read_token() or ""
    return values


def write_settings(values: dict[str, str]) -> bool:
    """Save; the token into the authentication database. False when the token could not be stored there."""
    from omnisat_qgis.token_store import store_token

    s = QgsSettings()
    for k in KEYS:
        s.setValue(f"omnisat/{k}", values.get(k, ""))
    token = values.get("runner_token", "")
    return store_token(token) is not None or not token


def probe_install() -> dict[str, str]:
    """What Install runner would use: a Python 3.10+ and the PyTorch build for this machine's GPU (worker thread:
    both start processes)."""
    from omnisat_qgis.installer import NoPythonFound, detect_build, find_python

    out: dict[str, str] = {}
    try:
        python = find_python()
        out["python"] = python.executable
        out["python_text"] = f"{python.executable} (Python {python.version_text})"
    except NoPythonFound as err:
        out["python_error"] = str(err)
    build, _gpus = detect_build()
    out["build"], out["build_reason"] = build.build, build.reason
    return out


class SettingsDialog(QDialog):
    def __init__(self, parent=None, probe: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("OmniSat settings"))
        self.setMinimumWidth(520)
        self.resize(760, 0)  # wide enough to read a runner home path whole; the height follows the content
        values = read_settings()
        lay = QVBoxLayout(self)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.python = QgsFileWidget()
        self.python.setFilePath(values["runner_python"] or (runner_manager.default_python() or ""))
        self.home = QgsFileWidget()
        self.home.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        self.home.setFilePath(values["runner_home"] or str(runner_manager.default_home()))
        self.url = QLineEdit(values["runner_url"])
        self.url.setPlaceholderText(tr("empty: a local runner started by the plugin; or https://gpu-server:8443"))
        self.token = QLineEdit(values["runner_token"])
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setToolTip(tr("Kept in QGIS's encrypted authentication database"))
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.device.setCurrentText(values["device"] or "auto")
        form.addRow(tr("Runner Python"), self.python)
        form.addRow(tr("Runner home"), self.home)
        form.addRow(tr("Remote runner URL"), self.url)
        form.addRow(tr("Remote runner token"), self.token)
        form.addRow(tr("Device"), self.device)
        lay.addLayout(form)
        self.runner_line = self._line(tr("Runner: checking…"))
        self.install_line = self._line(tr("Install: looking for a Python and a GPU…"))
        self.status = self._line("")
        for label in (self.runner_line, self.install_line, self.status):
            lay.addWidget(label)
        row = QHBoxLayout()
        for text, slot in ((tr("Test runner"), self.test_runner), (tr("Copy diagnostics"), self.copy_diagnostics),
                           (tr("Install runner"), self.install_runner)):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, f=slot: f())
            row.addWidget(b)
        lay.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.install_probe: dict[str, str] | None = None
        self.stopping = None
        self.probes: list = []
        if probe:
            self.start_probes()

    @staticmethod
    def _line(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        return label

    def start_probes(self) -> list:
        """Runner health and the install probes, each in a background task (answers fill the status lines)."""
        self.probes = [self.check_runner(), self.probe_install()]
        return [t for t in self.probes if t is not None]

    def check_runner(self):
        m = runner_manager.manager()
        if not m.installed:
            self.runner_line.setText(tr("Runner: not installed — click Install runner, or enter a remote URL"))
            return None

        def health():
            return m.client(start=False).health()

        def done(h, error) -> None:
            if error:
                self.runner_line.setText(tr("Runner: not running ({reason}); it starts when the panel connects")
                                         .format(reason=error.splitlines()[0]))
            else:
                self.runner_line.setText(tr("Runner: {version} on {device} (torch {torch}, path access {paths})")
                                         .format(version=h["runner_version"], device=h["device_name"],
                                                 torch=h["torch_version"], paths=h.get("path_access")))

        return run_in_background(tr("OmniSat: runner health"), health, done, owner=self)

    def probe_install(self):
        def done(found, error) -> None:
            if error:
                self.install_line.setText(tr("Install: probe failed: {reason}").format(reason=error))
                return
            self.install_probe = found
            if "python_error" in found:
                self.install_line.setText(tr("Install: no usable Python 3.10+ found: {reason}").format(
                    reason=found["python_error"]))
            else:
                self.install_line.setText(tr("Install would use {python} and PyTorch {build} ({reason})").format(
                    python=found["python_text"], build=found["build"], reason=found["build_reason"]))

        return run_in_background(tr("OmniSat: probe Python and GPU"), probe_install, done, owner=self)

    def values(self) -> dict[str, str]:
        return {"runner_python": self.python.filePath(), "runner_home": self.home.filePath(),
                "runner_url": self.url.text().strip(), "runner_token": self.token.text().strip(),
                "device": self.device.currentText()}

    def save(self) -> None:
        v = self.values()
        if not write_settings(v):
            self.status.setText(tr("The token could not be stored in QGIS's authentication database (master "
                                   "password not set?): it is used for this session only."))
        runner_manager.configure(python=v["runner_python"] or None, home=Path(v["runner_home"]) if v["runner_home"]
                                 else None, url=v["runner_url"] or None, token=v["runner_token"] or None,
                                 stop_previous=False)
        old = runner_manager.previous()
        if old is not None and old.proc is not None:  # the runner this plugin started: stopped without waiting here
            self.stopping = run_in_background(tr("OmniSat: stop the previous runner"), old.stop)
        self.accept()

    def test_runner(self):
        """Health, then a tiny scene classified end to end on the runner's device (a selftest job)."""
        from omnisat_qgis.tasks import RunnerJobTask

        self.status.setText(tr("Testing the runner…"))

        def health_done(h, error) -> None:
            if error:
                self.status.setText(tr("not reachable: {reason}").format(reason=error))
                return
            head = tr("runner {version} on {device} (torch {torch}, protocol {protocol}, path access {paths})").format(
                version=h["runner_version"], device=h["device_name"], torch=h["torch_version"],
                protocol=h["protocol"], paths=h.get("path_access"))
            self.status.setText(head + tr(" — running a tiny classification…"))

            def done(job, err) -> None:
                if err:
                    self.status.setText(head + "\n" + tr("selftest failed: {reason}").format(reason=err))
                else:
                    t = job["result"]["timings"]
                    self.status.setText(head + "\n" + tr("selftest passed: tiny scene trained in {train} s and "
                                                         "classified in {classify} s").format(
                        train=t["finetune_s"], classify=t["classify_s"]))

            self._selftest = RunnerJobTask("OmniSat: test runner", runner_manager.current_client, "selftest", {},
                                           done)
            QgsApplication.taskManager().addTask(self._selftest)

        return run_in_background(tr("OmniSat: test runner"), lambda: runner_manager.current_client().health(),
                                 health_done, owner=self)

    def copy_diagnostics(self):
        from omnisat_qgis.client import RunnerError
        from omnisat_qgis.diagnostics import build_report

        m = runner_manager.manager()
        token = self.token.text()

        def report() -> str:
            try:
                client = m.client(start=False)
            except RunnerError:
                client = None
            secrets = [s for s in (token, getattr(client, "token", "")) if s]
            return build_report(client, runner_home=m.home, runner_url=getattr(client, "url", None), secrets=secrets)

        def done(text, error) -> None:
            if error:
                self.status.setText(tr("Diagnostics failed: {reason}").format(reason=error))
                return
            QApplication.clipboard().setText(text)
            self.status.setText(tr("Diagnostics copied to the clipboard (paths and tokens redacted)."))

        self.status.setText(tr("Collecting diagnostics…"))
        return run_in_background(tr("OmniSat: diagnostics"), report, done, owner=self)

    def install_runner(self) -> None:
        from omnisat_qgis.installer import InstallOptions, override_build
        from omnisat_qgis.installer.plan import locate_runner_source
        from omnisat_qgis.installer.task import InstallRunnerTask

        found = self.install_probe
        if found is None:
            self.status.setText(tr("Still looking for a Python and a GPU: try again in a moment."))
            return
        if "python_error" in found:
            self.status.setText(tr("No usable Python 3.10+ found: {reason}").format(reason=found["python_error"]))
            return
        source = locate_runner_source(Path(__file__).resolve().parents[1])
        if source is None:
            self.status.setText(tr("The runner package was not found next to the plugin; see docs/install.md"))
            return
        build = override_build(found["build"], found["build_reason"])
        self.status.setText(tr("Installing the runner with PyTorch {build} ({reason})…").format(
            build=build.build, reason=build.reason))
        opts = InstallOptions(home=Path(self.home.filePath()), python=found["python"], runner_source=str(source),
                              torch_build=build)

        def done(ok: bool, info, error_text) -> None:
            if ok:
                self.python.setFilePath(str(opts.venv_python))
                self.status.setText(tr("Runner installed: {info}").format(info=info))
            else:
                self.status.setText(tr("Install failed: {reason}").format(reason=error_text))
                log(f"install failed: {error_text}", Qgis.MessageLevel.Critical)

        self._install_task = InstallRunnerTask(opts, on_done=done)
        QgsApplication.taskManager().addTask(self._install_task)
