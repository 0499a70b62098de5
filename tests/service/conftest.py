"""Fixtures that start a real runner process (`python -m runner serve`) in a temporary home."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class LiveRunner:
    home: Path
    url: str
    token: str
    proc: subprocess.Popen

    def client(self, token: str | None = None) -> httpx.Client:
        tok = self.token if token is None else token
        headers = {"Authorization": f"Bearer {tok}"} if tok else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def start_runner(home: Path, *extra: str, timeout: float = 60, keep_state: bool = False) -> LiveRunner:
    """Start `python -m runner serve` and wait for its state file; fail with its stderr if it dies.
    `keep_state`: leave an existing state file for the runner to judge (stale-state tests)."""
    state = home / "runner.json"
    if state.exists() and not keep_state:
        state.unlink()
    env = {**os.environ, "OMNISAT_RUNNER_HOME": str(home), "PYTHONPATH": str(REPO)}
    log = open(home.parent / f"{home.name}-runner.log", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "runner", "serve", "--home", str(home), "--port", "0", *extra],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"runner exited with {proc.returncode}: "
                               + (home.parent / f"{home.name}-runner.log").read_text()[-2000:])
        if state.exists():
            try:
                data = json.loads(state.read_text())
            except ValueError:  # a stale file being replaced
                data = {}
            if data.get("pid") == proc.pid:
                runner = LiveRunner(home, data["url"], data["token"], proc)
                try:
                    if runner.client().get("/v1/health").status_code == 200:
                        return runner
                except httpx.TransportError:
                    pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("runner did not start within the timeout")


@pytest.fixture
def runner_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def live_runner(runner_home: Path) -> Iterator[LiveRunner]:
    runner = start_runner(runner_home)
    yield runner
    runner.stop()
