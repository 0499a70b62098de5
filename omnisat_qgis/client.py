"""HTTP client of the runner API (stdlib urllib only: a stock QGIS Python has nothing else we may rely on)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

PROTOCOL = 1


class RunnerError(Exception):
    """The runner refused or failed a request; `message` is the runner's own words."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.status = message, status


class RunnerClient:
    def __init__(self, url: str, token: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict | None = None, timeout: float | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,  # noqa: S310 - runner URL
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout) as r:  # nosec B310 - runner URL
                raw = r.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            try:
                detail = json.loads(err.read() or b"{}").get("detail", err.reason)
            except ValueError:
                detail = err.reason
            raise RunnerError(f"{detail}", err.code) from None
        except (urllib.error.URLError, OSError) as err:
            raise RunnerError(f"the runner at {self.url} is not reachable ({getattr(err, 'reason', err)})") from None

    # -- API -----------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        h = self.request("GET", "/v1/health", timeout=10)
        if h.get("protocol") != PROTOCOL:
            raise RunnerError(f"the runner speaks protocol {h.get('protocol')}, this plugin {PROTOCOL}: "
                              "update the runner or the plugin so they match")
        return h

    def submit(self, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/v1/jobs", {"kind": kind, "spec": spec})

    def job(self, job_id: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/jobs/{job_id}")

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self.request("POST", f"/v1/jobs/{job_id}/cancel")

    def events(self, job_id: str, after: int = 0) -> list[dict[str, Any]]:
        return self.request("GET", f"/v1/jobs/{job_id}/events?after={int(after)}")

    def models(self) -> list[dict[str, Any]]:
        return self.request("GET", "/v1/models")

    def model_card(self, name: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/models/{urllib.request.quote(name)}")
