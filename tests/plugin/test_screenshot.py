"""The real QGIS window under Xvfb with the OmniSat dock and a classified layer, saved as a PNG a person can check;
and the exported PDF map rendered to PNG. Images go to tests/out/."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.plugin.conftest import REPO, layer_params

OUT = REPO / "tests" / "out"


@pytest.mark.skipif(not (shutil.which("qgis") and shutil.which("xvfb-run")), reason="needs qgis and xvfb-run")
def test_screenshot_of_the_real_qgis_window(trained_models, plugin_scene, tmp_path: Path) -> None:
    import processing

    OUT.mkdir(parents=True, exist_ok=True)
    class_map = tmp_path / "classes.tif"
    processing.run("omnisat:classify_extent", {**layer_params(plugin_scene), "MODEL": "plugin-clf",
                                               "OUTPUT": str(class_map)})
    shot = OUT / "qgis_window.png"
    shot.unlink(missing_ok=True)
    script = tmp_path / "startup.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from qgis.utils import iface
        from qgis.core import QgsProject, QgsRasterLayer
        from qgis.PyQt.QtCore import QTimer
        from qgis.PyQt.QtWidgets import QApplication
        from omnisat_qgis import classFactory
        iface.mainWindow().resize(1600, 1000)
        plugin = classFactory(iface)
        plugin.initGui()
        for p in ["aerial.tif"]:
            QgsProject.instance().addMapLayer(QgsRasterLayer({str(plugin_scene)!r} + "/" + p, "aerial"))
        layer = QgsRasterLayer({str(class_map)!r}, "classes (plugin-clf)")
        QgsProject.instance().addMapLayer(layer)
        iface.mapCanvas().setExtent(layer.extent())
        plugin.action.setChecked(True)
        plugin.dock.aerial.setLayer(QgsProject.instance().mapLayersByName("aerial")[0])
        def grab():
            iface.mainWindow().grab().save({str(shot)!r})
            plugin.unload()
            QApplication.instance().exit(0)
        def later():
            iface.mapCanvas().refreshAllLayers()
            QTimer.singleShot(4000, grab)
        QTimer.singleShot(3000, later)
    """))
    profiles = tmp_path / "profiles"
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "qgis", "--profiles-path", str(profiles), "--nologo",
           "--noversioncheck", "--noplugins", "--code", str(script)]
    try:
        subprocess.run(cmd, capture_output=True, text=True, timeout=180,
                       env={**__import__("os").environ, "QT_QPA_PLATFORM": "xcb"})
    except subprocess.TimeoutExpired:
        pass
    if not shot.exists():
        pytest.skip("QGIS did not come up under Xvfb here")
    from qgis.PyQt.QtGui import QImage

    img = QImage(str(shot))
    assert img.width() >= 1000 and img.height() >= 600
    # the class map is drawn: some pixels carry class colours (e.g. the grassland green #a6d96a)
    colours = {img.pixelColor(x, y).name() for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 30


def test_exported_pdf_renders(trained_models, plugin_scene, tmp_path: Path) -> None:
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    import processing

    OUT.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "map.tif"
    processing.run("omnisat:classify_extent", {**layer_params(plugin_scene), "MODEL": "plugin-clf",
                                               "OUTPUT": str(out)})
    res = processing.run("omnisat:export_map", {"CLASS_MAP": str(out), "TITLE": "OmniSat test map",
                                                "MODEL_NAME": "plugin-clf", "OUTPUT_FOLDER": str(tmp_path / "exp")})
    prefix = OUT / "exported_map_pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", res["PDF"], str(prefix)], check=True, timeout=60)
    from qgis.PyQt.QtGui import QImage

    img = QImage(str(prefix) + ".png")
    assert img.width() > 500 and img.height() > 300
    colours = {img.pixelColor(x, y).name() for x in range(0, img.width(), 5) for y in range(0, img.height(), 5)}
    assert len(colours) > 8  # a map with class colours, not a blank page
