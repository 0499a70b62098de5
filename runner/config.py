"""Where the runner keeps its state, and the limits it enforces.

Everything the runner writes lives under one folder, the runner home (`$OMNISAT_RUNNER_HOME`, else the user's
data dir): the job database, job work folders (resumable checkpoints), trained models, uploads, logs and the
state file through which the plugin finds the port and token. Outputs the user asks for go to the paths they name.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

STATE_FILE = "runner.json"


def default_home() -> Path:
    env = os.environ.get("OMNISAT_RUNNER_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("omnisat-runner", appauthor=False))


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else default


@dataclass(frozen=True)
class Limits:
    """Guards against requests that would not fit or were not meant for us; overridable by env for admins.

    Both byte limits are enforced while the body is read, whatever the transfer encoding (runner/api/body_limit.py).
    """

    max_request_bytes: int = field(default_factory=lambda: _env_int("OMNISAT_MAX_REQUEST_BYTES", 1_000_000))
    # one uploaded raster (POST /v1/files, streamed to disk): `serve --max-upload-mb` or the env variable
    max_upload_bytes: int = field(default_factory=lambda: _env_int("OMNISAT_MAX_UPLOAD_BYTES", 20 * 1024**3))
    max_extent_km2: float = field(default_factory=lambda: float(os.environ.get("OMNISAT_MAX_EXTENT_KM2", "2500")))
    max_jobs_listed: int = 500


@dataclass(frozen=True)
class RunnerPaths:
    home: Path

    @property
    def db(self) -> Path:
        return self.home / "jobs.sqlite"

    @property
    def jobs(self) -> Path:
        return self.home / "jobs"

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def uploads(self) -> Path:
        return self.home / "uploads"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def state(self) -> Path:
        return self.home / STATE_FILE

    def ensure(self) -> RunnerPaths:
        for p in (self.home, self.jobs, self.models, self.uploads, self.logs):
            p.mkdir(parents=True, exist_ok=True)
        try:
            os.chmod(self.home, 0o700)
        except OSError:
            pass
        return self

    def job_dir(self, job_id: str) -> Path:
        return self.jobs / job_id


def write_private_json(path: Path, data: dict) -> None:
    """Write JSON readable only by the user (0600), atomically: the token never sits in a world-readable file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_state(home: Path) -> dict | None:
    path = RunnerPaths(home).state
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
