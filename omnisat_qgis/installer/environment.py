"""The environment install steps and the runner run in: QGIS's own Python settings removed, proxies kept.

Inside QGIS, PYTHONPATH/PYTHONHOME point at QGIS's interpreter and GDAL/PROJ variables at its data; passed
on to another Python they make it import QGIS's numpy or the wrong GDAL and fail in confusing ways.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

STRIPPED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONEXECUTABLE", "PYTHONUSERBASE", "VIRTUAL_ENV",
            "CONDA_PREFIX", "QGIS_PREFIX_PATH", "QGIS_PLUGINPATH", "GDAL_DATA", "GDAL_DRIVER_PATH", "PROJ_DATA",
            "PROJ_LIB", "__PYVENV_LAUNCHER__")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy",
              "all_proxy")


def clean_environment(base: Mapping[str, str] | None = None, proxy: str | None = None,
                      no_proxy: str | None = None, ca_bundle: str | None = None) -> dict[str, str]:
    """A copy of `base` (default os.environ) without QGIS's Python/GDAL/PROJ variables.

    `proxy` (e.g. from QGIS's network settings, "http://user:pass@host:port") is set for pip in both upper and
    lower case; existing proxy variables are kept when no proxy is given. `ca_bundle` points pip at a corporate
    root certificate (TLS interception). User site-packages are disabled so a stray numpy cannot leak in.
    """
    env = {k: v for k, v in (os.environ if base is None else base).items() if k.upper() not in STRIPPED}
    if proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY"):
            env[name] = proxy
            env[name.lower()] = proxy
    if no_proxy:
        env["NO_PROXY"] = env["no_proxy"] = no_proxy
    if ca_bundle:
        env["PIP_CERT"] = ca_bundle
        env["REQUESTS_CA_BUNDLE"] = ca_bundle
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONUTF8"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def proxy_from_qgis_settings(values: Mapping[str, object]) -> str | None:
    """Build a proxy URL from QGIS's `proxy/*` settings (passed in as a plain mapping: no qgis import here)."""
    enabled = str(values.get("proxy/proxyEnabled", "false")).lower() in ("true", "1")
    host = str(values.get("proxy/proxyHost", "") or "").strip()
    kind = str(values.get("proxy/proxyType", "HttpProxy") or "HttpProxy")
    if not enabled or not host or kind == "DefaultProxy":     # DefaultProxy: the system's, already in the env
        return None
    port = str(values.get("proxy/proxyPort", "") or "").strip()
    user = str(values.get("proxy/proxyUser", "") or "")
    password = str(values.get("proxy/proxyPassword", "") or "")
    from urllib.parse import quote

    auth = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
    scheme, _, bare = host.rpartition("://")
    scheme = scheme or ("socks5" if kind == "Socks5Proxy" else "http")
    return f"{scheme}://{auth}{bare}{':' + port if port else ''}"
