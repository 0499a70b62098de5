"""A runner process for scripts (demo, benchmarks): start `python -m runner serve`, submit jobs, follow them.

Scripts go through the runner's HTTP API exactly as the plugin does, so the demo exercises the product's path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


class RunnerSession:
    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.token = ""

    def __enter__(self) -> RunnerSession:
        state = self.home / "runner.json"
        state.unlink(missing_ok=True)
        log = open(self.home / "serve.log", "ab")  # noqa: SIM115 - lives as long as the process
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen([sys.executable, "-m", "runner", "serve", "--home", str(self.home)],
                                     cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"runner exited ({self.proc.returncode}); see {self.home / 'serve.log'}")
            if state.exists():
                data = json.loads(state.read_text())
                if data.get("pid") == self.proc.pid:
                    self.url, self.token = data["url"], data["token"]
                    return self
            time.sleep(0.2)
        raise RuntimeError("runner did not start in 120 s")

    def __exit__(self, *exc: Any) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def request(self, method: str, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,  # noqa: S310 - loopback URL
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:  # nosec B310 - our own runner on loopback
            return json.loads(r.read() or b"null")

    def run_job(self, kind: str, spec: dict[str, Any], label: str | None = None) -> dict[str, Any]:
        """Submit a job and print its progress on one line until it ends; raise with its message if it fails."""
        job = self.request("POST", "/v1/jobs", {"kind": kind, "spec": spec})
        label = label or kind
        last = ""
        while job["state"] in ("queued", "running"):
            time.sleep(0.5)
            job = self.request("GET", f"/v1/jobs/{job['id']}")
            p = job.get("progress") or {}
            if p:
                metrics = " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in (p.get("metrics") or {}).items())
                eta = f" eta {p['eta_s']:.0f}s" if p.get("eta_s") is not None else ""
                line = f"  [{label}] {p['stage']} {p['done']}/{p['total']} {metrics}{eta}"
                if line != last:
                    print("\r" + line[:110].ljust(110), end="", flush=True)
                    last = line
        print()
        if job["state"] != "done":
            raise RuntimeError(f"{label} job {job['state']}: {job.get('message')}")
        return job["result"]
