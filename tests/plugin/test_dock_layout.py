"""The dock reads whole on a laptop: docked at 360 px and at 560 px wide, on every tab, no visible widget reaches
past the visible width (the pages scroll vertically only, so anything wider would be cut off)."""

from __future__ import annotations

import pytest
from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtCore import QPoint, Qt
from qgis.PyQt.QtWidgets import QMainWindow, QScrollArea, QWidget

from tests.plugin.conftest import wait_for

LONG = "S2_20210615_Sentinel-2_L2A_T31TCJ_very_long_layer_name_as_analysts_get_them_from_a_download"


@pytest.fixture
def window(qgis_iface, plugin_scene):
    from omnisat_qgis.gui.dock import OmniSatDock

    project = QgsProject.instance()
    project.removeAllMapLayers()
    layers = [QgsRasterLayer(str(plugin_scene / "aerial.tif"), LONG)]
    layers += [QgsRasterLayer(str(p), p.stem) for p in sorted((plugin_scene / "s2").glob("*.tif"))[:4]]
    layers.append(QgsVectorLayer(f"{plugin_scene / 'labels.gpkg'}|layername=labels", "labels_" + LONG, "ogr"))
    project.addMapLayers(layers)
    main = QMainWindow()
    main.setCentralWidget(QWidget())
    main.resize(1366, 768)
    dock = OmniSatDock(qgis_iface)
    main.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.aerial.setLayer(layers[0])
    dock.s2.add_matching("S2_*")
    dock.out.setFilePath("/a/rather/long/folder/name/for/the/class/map/of/the/forest/of/fontainebleau/map.tif")
    dock.status.setText("Runner: failed · the runner exited at start (code 1): ModuleNotFoundError: No module "
                        "named 'torch' — a long reason that must wrap, not widen the panel")
    main.show()
    yield main, dock
    main.close()
    dock.deleteLater()
    main.deleteLater()
    project.removeAllMapLayers()


def overflowing(root: QWidget, viewport: QWidget) -> list[str]:
    """Visible widgets under `root` whose right edge lies beyond `viewport`'s width (1 px tolerance)."""
    bad = []
    for w in root.findChildren(QWidget):
        if not w.isVisible() or w.width() <= 0 or w.window() is not root.window():
            continue
        left = w.mapTo(viewport, QPoint(0, 0)).x()
        right = left + w.width()
        if right > viewport.width() + 1 or left < -1:
            bad.append(f"{type(w).__name__} {w.objectName() or getattr(w, 'text', lambda: '')()!r}: x {left}..{right}"
                       f" > {viewport.width()}")
    return bad


@pytest.mark.parametrize("width", [360, 560])
def test_every_tab_fits_the_docked_width(window, width: int) -> None:
    from qgis.core import QgsApplication

    main, dock = window
    main.resizeDocks([dock], [width], Qt.Orientation.Horizontal)
    wait_for(lambda: abs(dock.width() - width) <= 4, 10)
    QgsApplication.processEvents()
    body = dock.widget()
    assert body.width() <= width, f"the panel is {body.width()} px wide in a {width} px dock"
    problems = overflowing(body, body)
    for index in range(dock.tabs.count()):
        dock.tabs.setCurrentIndex(index)
        for _ in range(3):
            QgsApplication.processEvents()
        page = dock.tabs.currentWidget()
        assert isinstance(page, QScrollArea)
        assert page.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        problems += [f"{dock.tabs.tabText(index)}: {p}" for p in overflowing(page.widget(), page.viewport())]
    assert not problems, f"clipped at {width} px:\n" + "\n".join(problems)
