"""The dock as an analyst uses it: layers and dates in, classify / fine-tune / cancel through QgsTasks."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import Qgis, QgsProject, QgsRasterLayer, QgsVectorLayer

from omnisat_qgis.runner_manager import manager
from tests.plugin.conftest import wait_for


@pytest.fixture
def dock(qgis_iface, trained_models, plugin_scene):
    from omnisat_qgis.gui.dock import OmniSatDock

    project = QgsProject.instance()
    project.removeAllMapLayers()
    layers = [QgsRasterLayer(str(plugin_scene / "aerial.tif"), "aerial")]
    for m in ("s1", "s2"):
        layers += [QgsRasterLayer(str(p), p.stem) for p in sorted((plugin_scene / m).glob("*.tif"))]
    labels = QgsVectorLayer(f"{plugin_scene / 'labels.gpkg'}|layername=labels", "labels", "ogr")
    project.addMapLayers(layers + [labels])
    d = OmniSatDock(qgis_iface)
    d.aerial.setLayer(layers[0])
    assert d.s1.add_matching("S1_*") == 24 and d.s2.add_matching("S2_*") == 24
    d.refresh_models()  # in the background: the combo boxes fill when the runner answers
    wait_for(lambda: d.model.findText("plugin-clf") >= 0, 120)
    yield d
    d.deleteLater()
    project.removeAllMapLayers()


def test_dates_are_read_and_bad_ones_flagged(dock) -> None:
    series = dock.s2.series()
    assert len(series) == 24 and series[0].date.isoformat().startswith("2021-")
    dock.s2.item(1, 2).setText(dock.s2.item(0, 2).text())  # a duplicate date
    with pytest.raises(ValueError, match="same date as row 1"):
        dock.s2.series()
    dock.s2.item(1, 2).setText("not a date")
    with pytest.raises(ValueError, match="no date"):
        dock.s2.series()


def test_classify_from_the_dock_adds_a_styled_layer(dock, tmp_path: Path) -> None:
    dock.model.setCurrentText("plugin-clf")
    out = tmp_path / "dock_map.tif"
    dock.out.setFilePath(str(out))
    before = set(QgsProject.instance().mapLayers())
    dock.classify()
    assert dock.task is not None
    wait_for(lambda: dock.task is None, 300)
    added = [QgsProject.instance().mapLayer(i) for i in set(QgsProject.instance().mapLayers()) - before]
    classes = [la for la in added if la.name().startswith("classes")]
    assert classes and classes[0].renderer().type() == "paletted"
    assert {c.label for c in classes[0].renderer().classes()} >= {"Wheat", "Grassland"}
    assert out.exists() and out.with_suffix(".qml").exists()
    group = QgsProject.instance().layerTreeRoot().findGroup("OmniSat plugin-clf")
    assert group is not None and len(group.findLayers()) == 2
    # the message says how the runner ran it (it chooses precision and batch size itself)
    done = [m for m in dock.iface.messageBar().get_messages(Qgis.MessageLevel.Success) if "dock_map.tif" in m]
    assert done and any(f"{p} on cpu, " in done[-1] for p in ("fp32", "bf16")), done


def test_cancel_from_the_dock_leaves_no_layer_and_no_file(dock, tmp_path: Path) -> None:
    dock.pre_name.setText("cancel-me")
    dock.pre_epochs.setValue(500)
    dock.size.setCurrentText("tiny")
    dock.pretrain()
    task = dock.task
    wait_for(lambda: (task.last_progress.get("done") or 0) >= 1, 120)
    dock.pretrain_job.cancel_button.click()  # the Cancel of the job the user started
    wait_for(lambda: dock.task is None, 120)
    runner = manager()
    assert "cancel-me" not in {m["name"] for m in runner.client().models()}
    assert not (runner.home / "models" / "cancel-me").exists()
    assert any("cancelled" in m for m in dock.iface.messageBar().get_messages(Qgis.MessageLevel.Warning))


def test_finetune_from_a_polygon_layer_lists_the_new_model(dock) -> None:
    labels = QgsProject.instance().mapLayersByName("labels")[0]
    dock.labels.setLayer(labels)
    dock.class_field.setField("class_name")
    dock.from_model.setCurrentIndex(dock.from_model.findData("plugin-pre"))
    dock.ft_name.setText("dock-clf")
    dock.ft_epochs.setValue(2)
    dock.finetune()
    wait_for(lambda: dock.task is None, 300)
    wait_for(lambda: dock.model.findText("dock-clf") >= 0, 60)  # the list refreshes in the background
    done = dock.iface.messageBar().get_messages(Qgis.MessageLevel.Success)
    assert any("dock-clf saved" in m and "macro F1" in m for m in done), done
