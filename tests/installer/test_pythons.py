"""Finding a Python 3.10+ that can host the runner's venv; never QGIS's own binary."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from omnisat_qgis.installer import NoPythonFound, candidates, find_python, probe, venv_python


def _script(folder: Path, name: str, body: str) -> str:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def _fake_python(folder: Path, name: str, version: list[int], venv: bool = True, ensurepip: bool = True) -> str:
    answer = json.dumps({"version": version, "executable": name, "venv": venv, "ensurepip": ensurepip, "bits": 64})
    return _script(folder, name, f"echo 'OMNISAT-PROBE{answer}'\n")


def test_system_python_is_found_and_probed() -> None:
    info = find_python("/usr/bin/python3")
    assert info.executable == "/usr/bin/python3" and info.version >= (3, 10, 0)
    assert find_python().version >= (3, 10, 0)


def test_qgis_binary_is_not_a_python(tmp_path: Path) -> None:
    qgis = _script(tmp_path, "qgis.exe", "echo 'QGIS 3.34 cannot open -c'; exit 1\n")
    with pytest.raises(NoPythonFound, match=r"qgis\.exe cannot host the runner: it is not a working Python"):
        find_python(qgis)


def test_old_and_incomplete_pythons_refused_with_reason(tmp_path: Path) -> None:
    old = _fake_python(tmp_path, "python3.8", [3, 8, 18])
    no_pip = _fake_python(tmp_path, "python3.12", [3, 12, 1], ensurepip=False)
    with pytest.raises(ValueError, match=r"Python 3\.8\.18 is older than 3\.10"):
        probe(old)
    with pytest.raises(ValueError, match="apt install python3-venv"):
        probe(no_pip)
    with pytest.raises(ValueError, match="not a file"):
        probe(str(tmp_path / "missing"))
    with pytest.raises(NoPythonFound, match=r"missing cannot host the runner: it not a file|missing"):
        find_python(str(tmp_path / "missing"))


def test_search_skips_bad_candidates_and_lists_them(tmp_path: Path) -> None:
    old = _fake_python(tmp_path, "python3.9", [3, 9, 2])
    good = _fake_python(tmp_path, "python3.11", [3, 11, 4])
    info = find_python(extra=[old, good])
    assert info.executable == good and info.version_text == "3.11.4"
    with pytest.raises(NoPythonFound) as err:
        find_python(extra=[old], search_system=False)
    assert "python3.9: Python 3.9.2 is older than 3.10" in str(err.value)


def test_candidates_order_and_windows_layout(tmp_path: Path) -> None:
    found = candidates("linux", {"PATH": "/usr/bin:/bin", "OMNISAT_PYTHON": "/opt/py/bin/python3"})
    assert found[0] == "/opt/py/bin/python3" and "/usr/bin/python3" in found
    assert len(found) == len(set(found))
    local = tmp_path / "Programs" / "Python" / "Python312"
    local.mkdir(parents=True)
    (local / "python.exe").write_text("")
    win = candidates("win32", {"PATH": "", "LOCALAPPDATA": str(tmp_path)})
    assert str(local / "python.exe") in win
    assert str(venv_python(Path("C:/h/venv"), "win32")).replace("\\", "/").endswith("venv/Scripts/python.exe")
    assert venv_python(Path("/h/venv"), "linux") == Path("/h/venv/bin/python")
