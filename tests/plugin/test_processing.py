"""Each Processing algorithm through processing.run, with a real runner: styled outputs on disk."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from qgis.core import QgsProcessingException, QgsRasterLayer

from tests.plugin.conftest import layer_params


def test_pretrain_and_finetune_create_models(trained_models, runner_session) -> None:
    models = {m["name"]: m for m in runner_session.client().models()}
    assert models["plugin-pre"]["kind"] == "pretrained"
    card = runner_session.client().model_card(trained_models["classifier"])
    assert card["kind"] == "classifier" and card["base_model"] == "plugin-pre"
    assert {c["name"] for c in card["classes"]} >= {"Wheat", "Grassland"}


def test_classify_extent_writes_a_styled_map(trained_models, runner_session, plugin_scene, tmp_path) -> None:
    import processing

    out = tmp_path / "map.tif"
    result = processing.run("omnisat:classify_extent", {**layer_params(plugin_scene), "MODEL": "plugin-clf",
                                                        "OUTPUT": str(out)})
    assert Path(result["OUTPUT"]) == out and Path(result["CONFIDENCE"]).exists()
    qml = ET.parse(out.with_suffix(".qml")).getroot()
    labels = {e.get("label") for e in qml.iter("paletteEntry")}
    assert {"Wheat", "Grassland"} <= labels
    layer = QgsRasterLayer(str(out), "m")  # opens with the saved default style
    assert layer.isValid() and layer.renderer().type() == "paletted"
    assert {c.label for c in layer.renderer().classes()} == labels
    # the .qml files are the runner's (runner/geo/qml.py, their one writer), not rewritten by the plugin
    from types import SimpleNamespace

    from runner.geo.qml import class_map_qml, confidence_qml

    card = runner_session.client().model_card("plugin-clf")
    assert out.with_suffix(".qml").read_text() == class_map_qml([SimpleNamespace(**c) for c in card["classes"]])
    conf = Path(result["CONFIDENCE"])
    assert conf.with_name(conf.stem + ".qml").read_text() == confidence_qml()
    conf_layer = QgsRasterLayer(str(conf), "c")  # QGIS reads the runner's confidence style as its default
    assert conf_layer.isValid() and conf_layer.renderer().type() == "singlebandpseudocolor"


def test_bf16_precision_reaches_the_runner_and_gives_the_same_map(trained_models, plugin_scene, tmp_path) -> None:
    import processing
    from osgeo import gdal
    from qgis.core import QgsProcessingFeedback

    class Log(QgsProcessingFeedback):
        def __init__(self) -> None:
            super().__init__()
            self.lines: list[str] = []

        def pushInfo(self, info: str) -> None:  # noqa: N802 - Qt naming
            self.lines.append(info)

    maps = {}
    for precision, name in ((1, "bf16"), (2, "fp32")):
        log = Log()
        out = tmp_path / f"{name}.tif"
        processing.run("omnisat:classify_extent", {**layer_params(plugin_scene), "MODEL": "plugin-clf",
                                                   "PRECISION": precision, "OUTPUT": str(out)}, feedback=log)
        assert any(line.startswith(f"classified ({name} on cpu") for line in log.lines), log.lines
        maps[name] = gdal.Open(str(out)).ReadAsArray()
    assert (maps["bf16"] == maps["fp32"]).mean() > 0.95


def test_classify_with_unknown_model_names_it(trained_models, plugin_scene, tmp_path) -> None:
    import processing

    with pytest.raises(QgsProcessingException, match="no-such-model"):
        processing.run("omnisat:classify_extent", {**layer_params(plugin_scene), "MODEL": "no-such-model",
                                                   "OUTPUT": str(tmp_path / "x.tif")})
    assert not list(tmp_path.iterdir())


def test_export_map_writes_every_file(trained_models, plugin_scene, tmp_path) -> None:
    import processing

    out = tmp_path / "map.tif"
    processing.run("omnisat:classify_extent", {**layer_params(plugin_scene), "MODEL": "plugin-clf", "OUTPUT": str(out)})
    res = processing.run("omnisat:export_map", {"CLASS_MAP": str(out), "TITLE": "Test map", "MODEL_NAME": "plugin-clf",
                                                "CONFIDENCE": str(tmp_path / "map_confidence.tif"),
                                                "OUTPUT_FOLDER": str(tmp_path / "export")})
    for key in ("POLYGONS", "AREAS_CSV", "AREAS_HTML", "PDF", "PNG"):
        assert Path(res[key]).exists() and Path(res[key]).stat().st_size > 0, key
    from osgeo import ogr

    ds = ogr.Open(res["POLYGONS"])
    layer = ds.GetLayer(0)
    names = [layer.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(layer.GetLayerDefn().GetFieldCount())]
    assert {"class", "area_ha", "mean_confidence"} <= set(names)
    total_ha = sum(f.GetField("area_ha") for f in layer)
    assert total_ha == pytest.approx(9.0, rel=0.02)  # a 300 m × 300 m extent
    rows = Path(res["AREAS_CSV"]).read_text().splitlines()
    assert rows[0] == "class_value,class_name,area_ha,percent"
    assert sum(float(r.split(",")[3]) for r in rows[1:]) == pytest.approx(100, abs=0.1)
    assert Path(res["PDF"]).read_bytes()[:4] == b"%PDF"

    # the printed legend lists the classes, not the layer name and "Band 1: class (Palette)"
    from qgis.core import QgsLayoutItemLegend, QgsPrintLayout, QgsProject, QgsRasterLayer
    from qgis.PyQt.QtCore import Qt

    from omnisat_qgis.export import _legend_of_classes_only
    from omnisat_qgis.styling import classes_from_raster

    layer = QgsRasterLayer(str(out), "class map")
    assert layer.loadNamedStyle(str(out.with_suffix(".qml")))[1]
    layout = QgsPrintLayout(QgsProject.instance())
    legend = QgsLayoutItemLegend(layout)
    legend.setAutoUpdateModel(False)
    legend.model().rootGroup().clear()
    node = legend.model().rootGroup().addLayer(layer)
    everything = [str(n.data(Qt.ItemDataRole.DisplayRole)) for n in legend.model().layerLegendNodes(node)]
    _legend_of_classes_only(legend, node)
    shown = [str(n.data(Qt.ItemDataRole.DisplayRole)) for n in legend.model().layerLegendNodes(node)]
    classes = [c["name"] for c in classes_from_raster(layer)]
    assert len(everything) > len(shown) and shown == classes
