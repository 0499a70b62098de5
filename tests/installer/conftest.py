"""A real runner process for the remote-mode tests (`python -m runner serve --no-path-access`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Runner:
    home: Path
    url: str
    token: str

    def get(self, path: str) -> dict:
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - loopback test runner
            return json.loads(r.read())

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())


@pytest.fixture
def remote_runner(tmp_path: Path) -> Iterator[Runner]:
    """A runner on 127.0.0.1 that cannot read the user's paths: uploads are the only way in."""
    home = tmp_path / "server-home"
    home.mkdir()
    env = {**os.environ, "OMNISAT_RUNNER_HOME": str(home), "PYTHONPATH": str(REPO)}
    log = open(tmp_path / "runner.log", "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "runner", "serve", "--home", str(home), "--port", "0",
                             "--no-path-access"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        state = home / "runner.json"
        while True:
            if proc.poll() is not None:
                pytest.fail("runner exited: " + (tmp_path / "runner.log").read_text()[-2000:])
            if state.exists():
                data = json.loads(state.read_text())
                if data.get("pid") == proc.pid:
                    runner = Runner(home, data["url"], data["token"])
                    try:
                        runner.get("/v1/health")
                        break
                    except OSError:
                        pass
            if time.monotonic() > deadline:
                pytest.fail("runner did not start within 60 s")
            time.sleep(0.1)
        yield runner
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
