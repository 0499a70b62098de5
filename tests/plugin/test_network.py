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
        urllib.request.urlopen(client.url + "/v1/health", timeout=5)  # noqa: S310 - loopback test URL
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
