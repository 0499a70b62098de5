"""Find, start and stop the runner process the plugin talks to.

The runner lives in its own Python environment (it owns PyTorch); the plugin starts `<python> -m runner serve`
with an environment cleaned of QGIS's Python and GDAL variables, waits for the state file the runner writes
(`runner.json`, 0600: URL and token), and stops the process it started when QGIS unloads the plugin or its Python
exits; the runner also stops by itself when this QGIS process ends (`--exit-with-pid`): `qgis_process` never
unloads plugins nor runs Python's exit hooks, and a crashed QGIS runs nothing, so each left a runner behind. A
runner started elsewhere (`python -m runner serve`) is used and left alone. A remote runner is reached by URL and
token instead. One manager per QGIS session, shared by the dock and Processing.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess  # nosec B404: the runner is started with a fixed argument list, no shell
import sys
import threading
import time
from pathlib import Path

from omnisat_qgis.client import RunnerClient, RunnerError

_STRIP = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "QGIS_PREFIX_PATH", "QGIS_PLUGINPATH", "GDAL_DATA",
          "GDAL_DRIVER_PATH", "PROJ_DATA", "PROJ_LIB", "PYTHONSTARTUP")


def repo_dir() -> Path | None:
    """The checkout this plugin runs from (development installs), where `runner/` and `.venv/` live."""
    env = os.environ.get("OMNISAT_REPO")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[1])
    for c in candidates:
        if (c / "runner" / "__init__.py").exists():
            return c
    return None


def default_python() -> str | None:
    repo = repo_dir()
    if repo and (repo / ".venv" / "bin" / "python").exists():
        return str(repo / ".venv" / "bin" / "python")
    return None


def default_home() -> Path:
    env = os.environ.get("OMNISAT_RUNNER_HOME")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "omnisat-runner"


def clean_env(repo: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STRIP}
    if repo is not None:
        env["PYTHONPATH"] = str(repo)  # a checkout's runner package, when it is not installed in the venv
    return env


class RunnerManager:
    def __init__(self, python: str | None = None, home: Path | None = None, url: str | None = None,
                 token: str | None = None, output_roots: list[str] | None = None) -> None:
        self.python = python or default_python()
        # folders the runner may write outputs to besides the user's home and temp folder (its `--write-root`s)
        self.output_roots = [r for r in (output_roots or []) if r and Path(r).is_dir()]
        self.home = Path(home) if home else default_home()
        self.remote = (url, token) if url else None
        self.proc: subprocess.Popen | None = None
        self._client: RunnerClient | None = None
        # why a lock: the dock's background tasks (connect, model list, jobs) may all ask for a client at once;
        # without it each would start its own runner
        self._lock = threading.RLock()

    @property
    def installed(self) -> bool:
        """A runner can be reached or started: a remote URL, or a runner Python that exists."""
        return bool(self.remote) or bool(self.python and Path(self.python).exists())

    @property
    def connected(self) -> bool:
        """A client was made and answered (no request is made here: safe on the main thread)."""
        return self._client is not None

    @property
    def started_here(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def client(self, start: bool = True, timeout: float = 120) -> RunnerClient:
        """A client for a live runner: the configured remote one, a running local one, or one started now."""
        with self._lock:
            return self._client_locked(start, timeout)

    def _client_locked(self, start: bool, timeout: float) -> RunnerClient:
        if self.remote:
            self._client = self._client or RunnerClient(*self.remote)
            return self._client
        if self._client is not None:
            try:
                self._client.health()
                return self._client
            except RunnerError:
                self._client = None
        client = self._connect(self._read_state())
        if client is not None:
            return client
        if not start:
            raise RunnerError("no runner is running")
        return self.start(timeout)

    def _connect(self, state: dict | None) -> RunnerClient | None:
        """A client for the runner a state file names, if it answers."""
        if not state:
            return None
        client = RunnerClient(state["url"], state["token"])
        try:
            client.health()
        except RunnerError:
            return None
        self._client = client
        return client

    def _read_state(self) -> dict | None:
        try:
            return json.loads((self.home / "runner.json").read_text())
        except (OSError, ValueError):
            return None

    def start(self, timeout: float = 120) -> RunnerClient:
        with self._lock:
            return self._start_locked(timeout)

    def _start_locked(self, timeout: float) -> RunnerClient:
        if not self.python or not Path(self.python).exists():
            raise RunnerError("no runner Python is configured: install the runner (OmniSat settings ▸ Install "
                              "runner) or set its Python in the settings")
        self.home.mkdir(parents=True, exist_ok=True)
        state_file = self.home / "runner.json"
        state_file.unlink(missing_ok=True)
        kwargs = {"creationflags": 0x08000000} if sys.platform == "win32" else {}  # no console window
        # the child gets its own copy of the log's descriptor: ours is closed as soon as it started
        with open(self.home / "plugin-started-runner.log", "ab") as log:
            self.proc = subprocess.Popen(  # nosec B603 - our runner's interpreter, fixed arguments
                [self.python, "-m", "runner", "serve", "--home", str(self.home), "--port", "0",
                 "--exit-with-pid", str(os.getpid()), *(a for r in self.output_roots for a in ("--write-root", r))],
                cwd=str(self.home), env=clean_env(repo_dir()), stdout=log, stderr=subprocess.STDOUT, **kwargs)
        atexit.register(self.stop)  # idempotent; also covers a manager that `configure` has since replaced
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = (self.home / "plugin-started-runner.log").read_text(errors="replace")[-800:]
                raise RunnerError(f"the runner exited at start (code {self.proc.returncode}): {tail}")
            state = self._read_state()
            client = self._connect(state) if state and state.get("pid") == self.proc.pid else None
            if client is not None:
                return client
            time.sleep(0.2)
        self.stop()
        raise RunnerError(f"the runner did not start within {timeout:.0f} s; see {self.home}/runner.log")

    def stop(self) -> None:
        """Stop the runner this plugin started (a runner started elsewhere is left alone)."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        self._client = None
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> RunnerClient:
        with self._lock:
            self._stop_locked()
            return self._start_locked(120)

    def allow_writes_to(self, folder: str | Path) -> RunnerClient:
        """Restart the runner this plugin started with `folder` as one more write root, and return its client.

        Why: the runner writes outputs only under roots fixed at its start (the user's home and temporary folder by
        default), so a class map the user saves elsewhere (another drive, a data share) is refused with 403. The
        plugin then adds that folder and restarts the runner, but only one it started itself and only while it runs
        no job; a runner started elsewhere or a remote one keeps its operator's roots."""
        target = Path(folder).expanduser()
        if self.remote or not self.started_here:
            raise RunnerError(f"the runner does not write to {target}: it was started elsewhere with its own output "
                              f"folders; choose another folder or start it with --write-root {target}")
        if not target.is_dir():
            raise RunnerError(f"output folder {target} does not exist")
        client = self.client()
        if client.health().get("busy"):
            raise RunnerError(f"the runner cannot write to {target} yet and is running a job; choose a folder in "
                              "your home or the temporary folder, or try again when the job has finished")
        if str(target) not in self.output_roots:
            self.output_roots.append(str(target))
        return self.restart()


_MANAGER: RunnerManager | None = None
_PREVIOUS: RunnerManager | None = None


def manager() -> RunnerManager:
    """The session's runner manager (settings read once; `configure` replaces it)."""
    global _MANAGER
    if _MANAGER is None:
        _MANAGER = RunnerManager(**_settings())
    return _MANAGER


def configure(stop_previous: bool = True, **kwargs) -> RunnerManager:
    """Replace the session's manager. `stop_previous=False` leaves stopping the old one (see `previous`) to the
    caller, e.g. in a background task, since stopping waits for the runner process to exit."""
    global _MANAGER, _PREVIOUS
    _PREVIOUS = _MANAGER
    if _MANAGER is not None and stop_previous:
        _MANAGER.stop()
        _PREVIOUS = None
    _MANAGER = RunnerManager(**kwargs)
    return _MANAGER


def previous() -> RunnerManager | None:
    """The manager `configure(stop_previous=False)` replaced, still to be stopped."""
    return _PREVIOUS


def current_client() -> RunnerClient:
    """A client from the manager current *when called*: what a queued task should hold, not `manager().client`.

    Why: a bound method keeps the manager of the moment it was taken; if the settings replace that manager before
    the task runs, the stale one would start a second runner that nothing ever stops."""
    return manager().client()


def shutdown() -> None:
    global _MANAGER, _PREVIOUS
    for m in (_MANAGER, _PREVIOUS):
        if m is not None:
            m.stop()
    _MANAGER = _PREVIOUS = None


def _settings() -> dict:
    from qgis.core import QgsSettings

    from omnisat_qgis.token_store import read_token

    s = QgsSettings()
    url = s.value("omnisat/runner_url", "") or None
    out = {"python": s.value("omnisat/runner_python", "") or None,
           "home": s.value("omnisat/runner_home", "") or None,
           "url": url, "token": read_token(),
           "output_roots": [r for r in str(s.value("omnisat/output_roots", "") or "").split(os.pathsep) if r]}
    return out
