"""`InstallRunnerTask`: the install run as a QgsTask, so QGIS stays responsive for the minutes pip takes.

The task only wraps `install_runner`; everything it does can be tested without QGIS. `finished()` runs on the
main thread and hands the outcome to the callback (the settings dialog shows the error text and a Retry).
"""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import Qgis, QgsMessageLog, QgsTask

from . import InstallCancelled, InstallError, InstallOptions, install_runner

Done = Callable[[bool, dict, str], None]      # (ok, info from the check step, error text)


class InstallRunnerTask(QgsTask):
    """Background install; progress() goes to QGIS's task manager, messages to the 'OmniSat' log tab."""

    def __init__(self, options: InstallOptions, on_done: Done | None = None, env: dict[str, str] | None = None):
        super().__init__(f"Installing the OmniSat runner ({options.torch_build.build})", QgsTask.Flag.CanCancel)
        self.options = options
        self.env = env
        self.on_done = on_done
        self.info: dict = {}
        self.error = ""
        self.last_message = ""

    def _progress(self, index: int, count: int, message: str) -> None:
        self.last_message = message
        self.setProgress(100.0 * index / max(count, 1))

    def run(self) -> bool:  # worker thread: no GUI calls here
        try:
            self.info = install_runner(self.options, progress=self._progress, cancelled=self.isCanceled,
                                       env=self.env)
            return True
        except InstallCancelled as err:
            self.error = f"Install cancelled: {err}. Press Retry to continue where it stopped."
        except InstallError as err:
            self.error = str(err)
        except Exception as err:  # noqa: BLE001 - anything else must still reach the user, not vanish
            self.error = f"Install failed unexpectedly: {type(err).__name__}: {err}"
        return False

    def finished(self, result: bool) -> None:  # main thread
        level = Qgis.MessageLevel.Info if result else Qgis.MessageLevel.Critical
        text = f"Runner installed: {self.info}" if result else self.error
        QgsMessageLog.logMessage(text, "OmniSat", level)
        if self.on_done is not None:
            self.on_done(result, self.info, self.error)
