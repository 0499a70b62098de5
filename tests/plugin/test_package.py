"""`make package` produces a zip the QGIS plugin repository accepts."""

from __future__ import annotations

import configparser
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REQUIRED = ("name", "description", "version", "qgisMinimumVersion", "author", "email", "about", "tracker",
            "repository", "homepage")


def test_package_follows_the_plugin_repository_rules(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "tools.package_plugin", "--out", str(tmp_path)], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    zpath = tmp_path / "omnisat_qgis.zip"
    assert zpath.stat().st_size < 25 * 1024 * 1024
    with zipfile.ZipFile(zpath) as zf:
        names = zf.namelist()
        assert {n.split("/")[0] for n in names} == {"omnisat_qgis"}
        assert "omnisat_qgis/__init__.py" in names and "omnisat_qgis/LICENSE" in names
        assert "def classFactory" in zf.read("omnisat_qgis/__init__.py").decode()
        assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo", ".ts"))]
        assert {"omnisat_qgis/i18n/omnisat_fr.qm", "omnisat_qgis/i18n/omnisat_de.qm"} <= set(names)
        assert names.count("omnisat_qgis/metadata.txt") == 1
        meta = configparser.ConfigParser()
        meta.read_string(zf.read("omnisat_qgis/metadata.txt").decode())
    general = meta["general"]
    missing = [k for k in REQUIRED if not general.get(k, "").strip()]
    assert not missing, missing
    for key in ("tracker", "repository", "homepage"):
        assert general[key].startswith("https://") and "bugs" not in general[key].split("/")[2]
    assert "runner" in general["about"].lower()  # the external dependency and how it is installed
    assert general["icon"] in {Path(n).name for n in names}
    assert general["supportsQt6"] == "True" and general["qgisMaximumVersion"] == "4.99"  # listed for QGIS 4 too
