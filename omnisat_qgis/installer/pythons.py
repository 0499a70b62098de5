"""Find a Python 3.10+ that can create a virtual environment for the runner.

QGIS's own `sys.executable` is not always a Python: on Windows it is qgis.exe (or qgis-bin.exe), on macOS the
QGIS app binary. So every candidate is *probed*: run it with a tiny script that reports its version and
whether `venv` and `ensurepip` work (Debian/Ubuntu ship Python without ensurepip unless python3-venv is
installed; Flatpak QGIS has no pip). A user-picked interpreter goes through the same probe.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess  # nosec B404: fixed argument lists, no shell
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MIN_VERSION = (3, 10)
_PROBE = ("import json, sys\n"
          "ok_venv = ok_pip = True\n"
          "try:\n    import venv  # noqa\nexcept Exception:\n    ok_venv = False\n"
          "try:\n    import ensurepip  # noqa\nexcept Exception:\n    ok_pip = False\n"
          "print('OMNISAT-PROBE' + json.dumps({'version': list(sys.version_info[:3]), "
          "'executable': sys.executable, 'venv': ok_venv, 'ensurepip': ok_pip, 'bits': 64 if sys.maxsize > 2**32 "
          "else 32}))\n")


class NoPythonFound(Exception):
    """No usable interpreter; the message lists every candidate tried and why it was refused."""


@dataclass(frozen=True)
class PythonInfo:
    """A probed interpreter that can host the runner's venv."""

    executable: str
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


@dataclass
class ProbeReport:
    """What happened to each candidate, so a failure can say exactly why each one was refused."""

    refused: list[tuple[str, str]] = field(default_factory=list)

    def text(self) -> str:
        return "; ".join(f"{path}: {why}" for path, why in self.refused) or "no candidates"


def probe(executable: str, env: dict[str, str] | None = None, timeout: float = 30) -> PythonInfo:
    """Run `executable` with the probe script; raise ValueError naming the reason it is not usable."""
    if not executable or not os.path.isfile(executable):
        raise ValueError("not a file")
    if not os.access(executable, os.X_OK):
        raise ValueError("not executable")
    try:
        done = subprocess.run([executable, "-I", "-c", _PROBE], capture_output=True, text=True,  # nosec B603
                              timeout=timeout, env=env, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ValueError(f"did not answer within {timeout:.0f} s (not a Python interpreter?)") from None
    except OSError as err:
        raise ValueError(f"cannot run: {err}") from None
    marker = [line for line in (done.stdout or "").splitlines() if line.startswith("OMNISAT-PROBE")]
    if done.returncode != 0 or not marker:
        raise ValueError(f"is not a working Python interpreter (exit code {done.returncode})")
    data = json.loads(marker[-1][len("OMNISAT-PROBE"):])
    version = tuple(int(v) for v in data["version"])
    if version[:2] < MIN_VERSION:
        raise ValueError(f"Python {'.'.join(map(str, version))} is older than 3.10")
    if data.get("bits") == 32:
        raise ValueError("32-bit Python: PyTorch needs a 64-bit interpreter")
    if not data.get("venv"):
        raise ValueError("has no 'venv' module")
    if not data.get("ensurepip"):
        raise ValueError("has no 'ensurepip' (on Debian/Ubuntu: sudo apt install python3-venv)")
    return PythonInfo(executable, version)  # type: ignore[arg-type]


def candidates(platform: str = sys.platform, environ: dict[str, str] | None = None) -> list[str]:
    """Interpreters worth probing, most suitable first, without duplicates; none is assumed to work."""
    environ = dict(os.environ) if environ is None else environ
    found: list[str] = []
    if environ.get("OMNISAT_PYTHON"):
        found.append(environ["OMNISAT_PYTHON"])
    names = [f"python3.{minor}" for minor in range(14, MIN_VERSION[1] - 1, -1)] + ["python3", "python"]
    if platform.startswith("win"):
        found += _windows_candidates(environ)
    elif platform == "darwin":
        found += sorted(glob.glob("/Library/Frameworks/Python.framework/Versions/3.*/bin/python3"), reverse=True)
        found += ["/opt/homebrew/bin/python3", "/usr/local/bin/python3"]
        found += _interpreter_next_to_qgis(platform)
    else:
        found += ["/usr/bin/python3"]
    for name in names:
        path = shutil.which(name, path=environ.get("PATH"))
        if path:
            found.append(path)
    if not platform.startswith("win") and platform != "darwin":
        found += _interpreter_next_to_qgis(platform)
    unique: list[str] = []
    for path in found:
        if path and path not in unique:
            unique.append(path)
    return unique


def _windows_candidates(environ: dict[str, str]) -> list[str]:
    out: list[str] = []
    local = environ.get("LOCALAPPDATA", "")
    if local:
        out += sorted(glob.glob(os.path.join(local, "Programs", "Python", "Python3*", "python.exe")), reverse=True)
    for root in (environ.get("ProgramFiles", r"C:\Program Files"), environ.get("ProgramW6432", "")):
        if root:
            out += sorted(glob.glob(os.path.join(root, "Python3*", "python.exe")), reverse=True)
    out += _interpreter_next_to_qgis("win32")
    return out


def _interpreter_next_to_qgis(platform: str) -> list[str]:
    """QGIS's bundled Python (usable to *create* a venv even though sys.executable is QGIS itself)."""
    prefix = Path(sys.base_prefix)
    if platform.startswith("win"):
        return [str(prefix / "python.exe")]
    exe = Path(sys.executable)
    if exe.name.startswith("python"):
        return [str(exe)]
    return [str(prefix / "bin" / "python3")]


def find_python(preferred: str | None = None, extra: Iterable[str] = (), env: dict[str, str] | None = None,
                platform: str = sys.platform, search_system: bool = True) -> PythonInfo:
    """The user's pick if given (and usable: else a clear error about *that* file), else the first candidate.

    `extra` are tried first (e.g. the interpreter of a previous install); `search_system=False` tries only them.
    """
    if preferred:
        try:
            return probe(preferred, env)
        except ValueError as err:
            raise NoPythonFound(f"the chosen Python {preferred} cannot host the runner: it {err}") from None
    report = ProbeReport()
    for path in [*extra, *(candidates(platform, env) if search_system else [])]:
        try:
            return probe(path, env)
        except ValueError as err:
            report.refused.append((path, str(err)))
    raise NoPythonFound("no usable Python 3.10+ found; install Python 3.10-3.13 (python.org, no admin rights "
                        f"needed) and pick it in the settings. Tried: {report.text()}")


def venv_python(venv_dir: Path, platform: str = sys.platform) -> Path:
    """The interpreter inside a venv (Scripts\\python.exe on Windows, bin/python elsewhere)."""
    if platform.startswith("win"):
        return Path(venv_dir) / "Scripts" / "python.exe"
    return Path(venv_dir) / "bin" / "python"
