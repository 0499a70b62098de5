"""HTTP client of the runner API.

Two ways out, chosen per URL: a runner on this machine (loopback) is reached directly with urllib and never through
a proxy (corporate desktops set `http_proxy` without `no_proxy`, which sent 127.0.0.1 to the proxy); a runner on
another machine is reached through QGIS's own network stack (QgsBlockingNetworkRequest), so the proxy, its
exclusions and the SSL settings the user made in QGIS apply. Outside a QGIS application (a bare Python importing
the plugin) urllib is used for both. Calls block: make them from a QgsTask, never from the main thread.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

PROTOCOL = 1


class RunnerError(Exception):
    """The runner refused or failed a request; `message` is the runner's own words."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.status = message, status


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # no proxy, whatever the environment says


def is_loopback(url: str) -> bool:
    """True for http://127.0.0.1:…, http://[::1]:… and http://localhost:… (a runner on this machine)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _qgis_running() -> bool:
    try:
        from qgis.core import QgsApplication
    except ImportError:
        return False
    return QgsApplication.instance() is not None


class RunnerClient:
    def __init__(self, url: str, token: str, timeout: float = 30.0, network: str = "auto") -> None:
        """`network`: "auto" (loopback direct, others through QGIS), "qgis" or "direct" to force one."""
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.network = network

    def uses_qgis_network(self) -> bool:
        if self.network != "auto":
            return self.network == "qgis"
        return not is_loopback(self.url) and _qgis_running()

    def request(self, method: str, path: str, body: dict | None = None, timeout: float | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        if self.uses_qgis_network():
            return self._qgis_request(method, path, data, timeout or self.timeout)
        req = urllib.request.Request(self.url + path, data=data, method=method,  # noqa: S310 - runner URL
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        opener = _DIRECT if is_loopback(self.url) else urllib.request.build_opener()
        try:
            with opener.open(req, timeout=timeout or self.timeout) as r:  # nosec B310 - runner URL
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

    def _qgis_request(self, method: str, path: str, data: bytes | None, timeout: float) -> Any:
        """The same request through QgsBlockingNetworkRequest (QGIS's proxy, exclusions and SSL settings)."""
        from qgis.core import QgsBlockingNetworkRequest
        from qgis.PyQt.QtCore import QByteArray, QUrl
        from qgis.PyQt.QtNetwork import QNetworkRequest

        req = QNetworkRequest(QUrl(self.url + path))
        req.setRawHeader(b"Authorization", f"Bearer {self.token}".encode())
        req.setRawHeader(b"Content-Type", b"application/json")
        if hasattr(req, "setTransferTimeout"):
            req.setTransferTimeout(int(timeout * 1000))
        blocking = QgsBlockingNetworkRequest()
        if method == "GET":
            code = blocking.get(req, True)
        elif method == "POST":
            code = blocking.post(req, QByteArray(data or b""))
        else:
            raise RunnerError(f"{method} is not a runner API method")
        reply = blocking.reply()
        status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute)
        raw = bytes(reply.content())
        if code == QgsBlockingNetworkRequest.ErrorCode.NoError:
            return json.loads(raw) if raw else None
        if status:
            try:
                detail = json.loads(raw or b"{}").get("detail", blocking.errorMessage())
            except ValueError:
                detail = blocking.errorMessage()
            raise RunnerError(f"{detail}", int(status))
        raise RunnerError(f"the runner at {self.url} is not reachable ({blocking.errorMessage()})")

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
