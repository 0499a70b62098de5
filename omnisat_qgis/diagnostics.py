"""A plain-text diagnostics report the user copies into a bug report.

It says what a maintainer asks first (QGIS, Qt, Python, OS, runner, torch, CUDA, device, free memory and disk,
runner home) and nothing private: the user's home folder is shown as `~` and tokens, passwords and proxy
credentials are replaced by `<redacted>`. Everything is best effort: a missing piece reads "unknown (why)"
rather than breaking the report.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REDACTED = "<redacted>"
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)((?:token|password|passwd|secret|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
    re.compile(r"(?i)(://)[^/@\s:]+:[^/@\s]+@"),                  # user:password@ in URLs
)


def redact(text: str, secrets: Iterable[str] = (), home: str | None = None) -> str:
    """Replace the home folder by ~ and every secret (given values and token-looking fields) by <redacted>."""
    for value in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + (REDACTED + "@" if m.group(1) == "://" else REDACTED), text)
    homes = {h for h in (home, os.path.expanduser("~"), os.environ.get("USERPROFILE")) if h and len(h) > 1}
    for h in sorted(homes, key=len, reverse=True):
        text = re.sub(re.escape(h.rstrip("/\\")) + r"(?=[/\\\s\"',:;)]|$)", "~", text)
    return text


def _qgis_lines() -> list[tuple[str, str]]:
    try:
        from qgis.core import Qgis
        from qgis.PyQt.QtCore import PYQT_VERSION_STR, QT_VERSION_STR
    except ImportError as err:
        return [("QGIS", f"unknown ({err})")]
    return [("QGIS", f"{Qgis.version()}"), ("Qt", QT_VERSION_STR), ("PyQt", PYQT_VERSION_STR)]


def free_memory_bytes() -> tuple[int, int] | None:
    """(available, total) physical memory, from the OS without psutil (not importable inside QGIS)."""
    try:
        if sys.platform.startswith("linux"):
            info = {}
            with open("/proc/meminfo", encoding="ascii") as f:
                for line in f:
                    key, _, rest = line.partition(":")
                    info[key] = int(rest.split()[0]) * 1024
            return info.get("MemAvailable", info.get("MemFree", 0)), info["MemTotal"]
        if sys.platform.startswith("win"):
            import ctypes

            class MemoryStatus(ctypes.Structure):
                _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                            ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                            ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                            ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                            ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

            status = MemoryStatus()
            status.dwLength = ctypes.sizeof(MemoryStatus)
            ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))  # type: ignore[attr-defined]
            return int(status.ullAvailPhys), int(status.ullTotalPhys)
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        avail = os.sysconf("SC_AVPHYS_PAGES") if "SC_AVPHYS_PAGES" in os.sysconf_names else 0
        return avail * size, pages * size
    except (OSError, ValueError, KeyError, AttributeError):
        return None


def _gib(n: float) -> str:
    return f"{n / 1024**3:.1f} GiB"


def _health(client: Any) -> tuple[dict[str, Any] | None, str]:
    if client is None:
        return None, "not connected"
    try:
        health = client.health() if hasattr(client, "health") else client()
        return dict(health), ""
    except Exception as err:  # noqa: BLE001 - the report must be produced even when the runner is down
        return None, f"unreachable ({type(err).__name__}: {err})"


def build_report(client: Any = None, runner_home: str | os.PathLike | None = None, runner_url: str | None = None,
                 secrets: Iterable[str] = (), extra: dict[str, Any] | None = None) -> str:
    """The report text. `client` is any object with `health() -> dict` (the plugin's runner client).

    `secrets` are values to hide wherever they appear (the runner token, a proxy password).
    """
    lines: list[tuple[str, str]] = [("OmniSat for QGIS", "diagnostics")]
    lines += _qgis_lines()
    lines.append(("Python", f"{platform.python_version()} ({sys.executable})"))
    lines.append(("OS", f"{platform.platform()} ({platform.machine()})"))
    health, why = _health(client)
    lines.append(("Runner URL", runner_url or "unknown"))
    if health is None:
        lines.append(("Runner", why))
    else:
        lines.append(("Runner version", str(health.get("runner_version", "unknown"))))
        lines.append(("Protocol", str(health.get("protocol", "unknown"))))
        lines.append(("Torch", str(health.get("torch_version", "unknown"))))
        lines.append(("CUDA", str(health.get("cuda") or "none")))
        lines.append(("Device", f"{health.get('device', 'unknown')} ({health.get('device_name', 'unknown')})"))
        lines.append(("Runner reads local paths", str(health.get("path_access", True))))
        for key in ("device_memory_total", "device_memory_free"):
            if key in health:
                lines.append((key.replace("_", " ").capitalize(), str(health[key])))
    memory = free_memory_bytes()
    lines.append(("Memory", f"{_gib(memory[0])} free of {_gib(memory[1])}" if memory else "unknown"))
    if runner_home:
        home = Path(runner_home)
        lines.append(("Runner home", str(home)))
        probe = home if home.exists() else next((p for p in home.parents if p.exists()), None)
        if probe is not None:
            usage = shutil.disk_usage(probe)
            lines.append(("Disk (runner home)", f"{_gib(usage.free)} free of {_gib(usage.total)}"))
        venv = home / "venv"
        lines.append(("Runner venv", str(venv) if venv.is_dir() else "not installed"))
    for key, value in (extra or {}).items():
        lines.append((str(key), str(value)))
    width = max(len(k) for k, _ in lines)
    text = "\n".join(f"{k.ljust(width)} : {v}" for k, v in lines)
    return redact(text, secrets)
