"""How the plugin reaches its runner: a local runner never through a proxy (even with http_proxy set and no_proxy
unset, as on many corporate desktops); a remote one through QGIS's network stack (its proxy and SSL settings)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from omnisat_qgis.client import RunnerClient, RunnerError, is_loopback

DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing answers there


def test_loopback_is_recognised() -> None:
    assert is_loopback("http://127.0.0.1:8765") and is_loopback("http://localhost:1") and is_loopback("http://[::1]:2")
    assert not is_loopback("https://gpu.example.org/omnisat") and not is_loopback("http://10.0.0.5:8000")


def test_a_local_runner_is_reached_with_a_dead_proxy_in_the_environment(runner_session, monkeypatch) -> None:
    client = runner_session.client()
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(var, DEAD_PROXY)
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    # the trap is real: plain urllib sends 127.0.0.1 to that proxy and fails
    with pytest.raises((urllib.error.URLError, OSError)):
        # (a fresh opener: urlopen's global one would keep the dead proxy for every later test)
        urllib.request.build_opener().open(client.url + "/v1/health", timeout=5)  # noqa: S310 - loopback test URL
    fresh = RunnerClient(client.url, client.token)
    assert fresh.health()["protocol"] == 1
    assert isinstance(fresh.models(), list)


def test_requests_through_qgis_network_stack(qgis_app, runner_session) -> None:
    client = runner_session.client()
    via_qgis = RunnerClient(client.url, client.token, network="qgis")
    assert via_qgis.uses_qgis_network()
    assert via_qgis.health()["protocol"] == 1
    names = {m["name"] for m in via_qgis.models()}
    assert names == {m["name"] for m in client.models()}
    with pytest.raises(RunnerError) as err:
        RunnerClient(client.url, "wrong-token", network="qgis").models()
    assert err.value.status in (401, 403)
    with pytest.raises(RunnerError, match="not reachable"):
        RunnerClient("http://127.0.0.1:9", "t", network="qgis", timeout=5).health()


@pytest.fixture
def recording_proxy():
    """A forward HTTP proxy on loopback that records what it is asked and answers like a runner's outdir call."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[tuple[str, str]] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            seen.append((self.path, self.headers.get("Authorization", "")))
            body = json.dumps({"path": "/runner-home/outputs/abc"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_remote_file_transfers_use_the_proxy_qgis_is_set_to(qgis_app, recording_proxy) -> None:
    from qgis.core import QgsSettings

    from omnisat_qgis.remote import RemoteFiles
    from omnisat_qgis.tasks import qgis_proxy

    proxy_url, seen = recording_proxy
    s = QgsSettings()
    keys = ("proxy/proxyEnabled", "proxy/proxyHost", "proxy/proxyPort", "proxy/proxyType", "proxy/proxyExcludedUrls")
    saved = {k: s.value(k) for k in keys}
    try:
        s.setValue("proxy/proxyEnabled", True)
        s.setValue("proxy/proxyHost", "127.0.0.1")
        s.setValue("proxy/proxyPort", proxy_url.rsplit(":", 1)[1])
        s.setValue("proxy/proxyType", "HttpProxy")
        s.setValue("proxy/proxyExcludedUrls", "https://intranet.example.org")
        assert qgis_proxy("http://runner.invalid:8000") == proxy_url
        assert qgis_proxy("https://intranet.example.org/runner") is None  # QGIS's exclusions apply
        files = RemoteFiles("http://runner.invalid:8000", "tok-1", proxy=qgis_proxy("http://runner.invalid:8000"))
        assert files.output_folder() == "/runner-home/outputs/abc"
        assert seen == [("http://runner.invalid:8000/v1/files/outdir", "Bearer tok-1")]
        RemoteFiles("http://127.0.0.1:9", "t", proxy=proxy_url, timeout=5)  # loopback: never the proxy
        with pytest.raises(Exception, match="cannot reach"):
            RemoteFiles("http://127.0.0.1:9", "t", proxy=proxy_url, timeout=5).output_folder()
        assert len(seen) == 1
        s.setValue("proxy/proxyEnabled", False)
        assert qgis_proxy("http://runner.invalid:8000") is None
    finally:
        for key, value in saved.items():
            if value is None:
                s.remove(key)
            else:
                s.setValue(key, value)
