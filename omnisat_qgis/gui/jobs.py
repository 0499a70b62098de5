"""One action of the dock and the job it runs: its button, its own Cancel, its progress bar.

Why per action: a double click on Classify sent two jobs writing the same file and Cancel reached only the latest.
Here the action's button is disabled while its job runs (a second click does nothing), Cancel cancels exactly the
job this row started, and `OutputLocks` refuses a second job writing the same output (a file or a model name).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from qgis.core import QgsTask
from qgis.PyQt.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from omnisat_qgis.i18n import tr


class JobControls(QWidget):
    def __init__(self, text: str, on_click: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task: QgsTask | None = None
        self.button = QPushButton(text)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.clicked.connect(lambda _=False: on_click())
        self.cancel_button = QPushButton(tr("Cancel"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.button, 1)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)
        lay.addWidget(self.progress)

    @property
    def busy(self) -> bool:
        return self.task is not None

    def begin(self, task: QgsTask) -> None:
        self.task = task
        self.button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        task.progressChanged.connect(self._progress)

    def _progress(self, value: float) -> None:
        self.progress.setValue(int(value))

    def end(self, ok: bool) -> None:
        self.task = None
        self.button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if ok:
            self.progress.setValue(100)
        else:
            self.progress.setVisible(False)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)


class OutputLocks:
    """Outputs being written by running jobs: a class map path or a model name → the job's description."""

    def __init__(self) -> None:
        self.held: dict[str, str] = {}

    @staticmethod
    def key(output: str) -> str:
        """Model names as `model:<name>`; files by their absolute, case-normalised path."""
        return output if output.startswith("model:") else os.path.normcase(os.path.abspath(output))

    def holder(self, output: str) -> str | None:
        return self.held.get(self.key(output))

    def take(self, output: str, who: str) -> None:
        self.held[self.key(output)] = who

    def release(self, output: str) -> None:
        self.held.pop(self.key(output), None)
