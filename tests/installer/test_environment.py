"""The environment install steps run in: QGIS's Python, GDAL and PROJ variables gone, proxies passed on."""

from __future__ import annotations

import subprocess
import sys

from omnisat_qgis.installer import clean_environment, proxy_from_qgis_settings

QGIS_ENV = {
    "PATH": "/usr/bin:/bin", "HOME": "/home/ana", "PYTHONPATH": "/usr/share/qgis/python",
    "PYTHONHOME": "/usr", "VIRTUAL_ENV": "/opt/qgis-venv", "QGIS_PREFIX_PATH": "/usr",
    "QGIS_PLUGINPATH": "/plugins", "GDAL_DATA": "/usr/share/gdal", "GDAL_DRIVER_PATH": "/gdalplugins",
    "PROJ_DATA": "/usr/share/proj", "PROJ_LIB": "/usr/share/proj", "https_proxy": "http://old:3128",
    "LANG": "C.UTF-8",
}


def test_qgis_variables_removed_others_kept() -> None:
    env = clean_environment(QGIS_ENV)
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "QGIS_PREFIX_PATH", "QGIS_PLUGINPATH", "GDAL_DATA",
                 "GDAL_DRIVER_PATH", "PROJ_DATA", "PROJ_LIB"):
        assert name not in env, name
    assert env["PATH"] == "/usr/bin:/bin" and env["HOME"] == "/home/ana" and env["LANG"] == "C.UTF-8"
    assert env["https_proxy"] == "http://old:3128"      # an existing proxy survives
    assert env["PYTHONNOUSERSITE"] == "1"
    assert "PYTHONPATH" in QGIS_ENV                       # the input is not modified


def test_proxy_and_ca_bundle_set_for_pip() -> None:
    env = clean_environment(QGIS_ENV, proxy="http://proxy.corp:8080", no_proxy="localhost,127.0.0.1",
                            ca_bundle="/etc/corp-root.pem")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        assert env[name] == "http://proxy.corp:8080"
    assert env["NO_PROXY"] == env["no_proxy"] == "localhost,127.0.0.1"
    assert env["PIP_CERT"] == "/etc/corp-root.pem"


def test_child_python_really_sees_no_pythonpath(tmp_path) -> None:
    poisoned = {**QGIS_ENV, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}
    (tmp_path / "numpy.py").write_text("raise SystemExit('QGIS numpy leaked in')\n")
    code = f"import sys; print(any(p == {str(tmp_path)!r} for p in sys.path))"
    out = subprocess.run([sys.executable, "-c", code], env=clean_environment(poisoned), capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"


def test_proxy_from_qgis_settings() -> None:
    assert proxy_from_qgis_settings({"proxy/proxyEnabled": "false", "proxy/proxyHost": "p"}) is None
    assert proxy_from_qgis_settings({"proxy/proxyEnabled": True, "proxy/proxyHost": "proxy.corp",
                                     "proxy/proxyPort": "3128"}) == "http://proxy.corp:3128"
    assert proxy_from_qgis_settings({"proxy/proxyEnabled": "true", "proxy/proxyHost": "https://p.corp",
                                     "proxy/proxyPort": 8443, "proxy/proxyUser": "ana@corp",
                                     "proxy/proxyPassword": "p:w/d"}) == "https://ana%40corp:p%3Aw%2Fd@p.corp:8443"
    socks = {"proxy/proxyEnabled": "true", "proxy/proxyHost": "s.corp", "proxy/proxyPort": "1080",
             "proxy/proxyType": "Socks5Proxy"}
    assert proxy_from_qgis_settings(socks) == "socks5://s.corp:1080"
    assert proxy_from_qgis_settings({"proxy/proxyEnabled": "true", "proxy/proxyHost": "x",
                                     "proxy/proxyType": "DefaultProxy"}) is None
