"""A real install: venv from /usr/bin/python3, this repository's runner and torch==2.13.0 from local wheels.

Uses pip's normal cache, so a second run is quick. Whatever pip's configuration provides here (find-links to
/opt/wheels and local indexes) is what the user's pip.conf would provide on theirs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omnisat_qgis.installer import (
    InstallOptions,
    clean_environment,
    find_python,
    install_log_path,
    install_runner,
    override_build,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_real_cpu_install_gives_a_working_runner(tmp_path: Path) -> None:
    if not os.path.isfile("/usr/bin/python3"):
        pytest.skip("needs /usr/bin/python3 (Python 3.10+ with venv) to build the runner venv from")
    python = find_python("/usr/bin/python3")
    home = tmp_path / "runner home"                      # a space in the path, as on many Windows profiles
    home.mkdir()
    options = InstallOptions(home, python.executable, str(REPO), override_build("cpu", "test: CPU build"))
    seen: list[str] = []
    # QGIS-like variables that would break the child Python if they leaked through
    poisoned = {**os.environ, "PYTHONPATH": "/usr/share/qgis/python", "PYTHONHOME": "/nonexistent",
                "VIRTUAL_ENV": sys.prefix, "GDAL_DATA": "/nonexistent", "PROJ_LIB": "/nonexistent"}
    info = install_runner(options, progress=lambda i, n, m: seen.append(m), env=clean_environment(poisoned))

    assert info["runner"] and info["torch"].startswith("2.13.0") and info["cuda_available"] is False
    venv_py = options.venv_python
    assert venv_py.is_file() and info["python"] == str(venv_py)
    help_text = subprocess.run([str(venv_py), "-m", "runner", "--help"], capture_output=True, text=True,
                               env=clean_environment(), check=True, timeout=120).stdout
    assert "serve" in help_text and "classify" in help_text
    # the runner venv is isolated: its numpy is its own, not the system's or QGIS's
    where = subprocess.run([str(venv_py), "-c", "import numpy, json; print(json.dumps(numpy.__file__))"],
                           capture_output=True, text=True, env=clean_environment(), check=True).stdout
    assert json.loads(where).startswith(str(home / "venv"))
    log = install_log_path(home).read_text()
    assert "---- install PyTorch 2.13.0 (cpu)" in log and "exit code 0" in log
    assert any("check the runner: done" in m for m in seen)

    again = install_runner(options, env=clean_environment())        # retry/re-run: idempotent, venv step skipped
    assert again["torch"] == info["torch"]
    assert "create virtual environment: already done, skipped" in install_log_path(home).read_text()
