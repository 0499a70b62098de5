"""The algorithms from the command line: `qgis_process run omnisat:...` with the plugin installed in a profile."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugin.conftest import REPO

QGIS_PROCESS = "/usr/bin/qgis_process.bin"  # Debian's wrapper passes an option QGIS 3.22 rejects


@pytest.mark.skipif(not Path(QGIS_PROCESS).exists(), reason="qgis_process.bin is not installed")
def test_classify_and_export_with_qgis_process(trained_models, runner_session, plugin_scene,
                                               tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_CUSTOM_CONFIG_PATH": str(profile),
           "OMNISAT_REPO": str(REPO), "OMNISAT_RUNNER_HOME": str(runner_session.home)}
    subprocess.run([sys.executable, "-m", "tools.package_plugin", "--install", "--profile-dir",
                    str(profile / "profiles" / "default" / "python" / "plugins")], cwd=REPO, check=True, env=env)
    subprocess.run([QGIS_PROCESS, "plugins", "enable", "omnisat_qgis"], env=env, capture_output=True, timeout=120)
    out = tmp_path / "cli_map.tif"
    args = [QGIS_PROCESS, "run", "omnisat:classify_extent", "--", f"AERIAL={plugin_scene / 'aerial.tif'}",
            "MODEL=plugin-clf", f"OUTPUT={out}", "DEVICE=1"]
    args += [f"S2={p}" for p in sorted((plugin_scene / "s2").glob("*.tif"))]
    args += [f"S1={p}" for p in sorted((plugin_scene / "s1").glob("*.tif"))]
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert out.exists() and out.with_suffix(".qml").exists()
    r = subprocess.run([QGIS_PROCESS, "run", "omnisat:export_map", "--", f"CLASS_MAP={out}", "TITLE=cli",
                        f"OUTPUT_FOLDER={tmp_path / 'exp'}"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert (tmp_path / "exp" / "cli_map_map.pdf").exists() and (tmp_path / "exp" / "cli_map_polygons.gpkg").exists()
