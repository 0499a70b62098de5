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
    # the confidence legend says what its ends mean
    conf = [la for la in added if la.name() == "confidence"][0]
    from qgis.core import QgsLayerTreeLayer

    nodes = conf.legend().createLayerTreeModelLegendNodes(QgsLayerTreeLayer(conf))
    texts = " ".join(str(n.data(0)) for n in nodes)
    for node in nodes:
        if hasattr(node, "settings"):  # a continuous ramp: its end labels
            texts += f" {node.settings().minimumLabel()} {node.settings().maximumLabel()}"
    assert "unsure" in texts and "confident" in texts, texts


def test_export_from_the_dock_lists_the_files_it_wrote(dock, tmp_path: Path, monkeypatch) -> None:
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtGui import QDesktopServices

    dock.model.setCurrentText("plugin-clf")
    dock.out.setFilePath(str(tmp_path / "for_export.tif"))
    dock.classify_job.button.click()
    wait_for(lambda: dock.task is None, 300)
    assert dock.export_map_layer.currentLayer() is not None  # the new class map, ready to export
    assert dock.export_folder.filePath() == str(tmp_path / "for_export_export")
    dock.export_title.setText("Forêt test")
    dock.export_job.button.click()
    dock.export_job.button.click()  # a double click: one export
    wait_for(lambda: not dock.export_job.busy, 300)
    files = [dock.export_files.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dock.export_files.count())]
    expected = ["for_export_polygons.gpkg", "for_export_areas.csv", "for_export_areas.html", "for_export_map.pdf",
                "for_export_map.png"]
    assert sorted(Path(f).name for f in files) == sorted(expected)
    assert all(Path(f).stat().st_size > 0 for f in files)
    assert "Forêt test" in (tmp_path / "for_export_export" / "for_export_areas.html").read_text(encoding="utf-8")
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    dock.open_export_file(dock.export_files.item(0))  # what a double-click does (the OS opener is not ours)
    assert opened == [files[0]]


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


def _jobs(word: str) -> list:
    from qgis.core import QgsApplication

    return [t for t in QgsApplication.taskManager().activeTasks() if word in t.description()]


def test_a_double_click_sends_one_job_and_a_second_job_on_the_same_output_is_refused(dock, tmp_path: Path) -> None:
    bar = dock.iface.messageBar()
    bar.clear_messages()
    dock.model.setCurrentText("plugin-clf")
    out = tmp_path / "twice.tif"
    dock.out.setFilePath(str(out))
    groups_before = len(QgsProject.instance().layerTreeRoot().findGroups())
    dock.classify_job.button.click()
    dock.classify_job.button.click()  # the double click
    assert not dock.classify_job.button.isEnabled() and dock.classify_job.cancel_button.isEnabled()
    assert len(_jobs("Classify")) == 1
    dock.classify()  # asked again while it runs (a script, a shortcut): refused with a message
    assert len(_jobs("Classify")) == 1
    assert any("already running" in m for m in bar.get_messages(Qgis.MessageLevel.Critical))
    # a pretrain and a fine-tune writing the same model: the second is refused, naming the model
    dock.pre_name.setText("same-name")
    dock.pre_epochs.setValue(500)
    dock.size.setCurrentText("tiny")
    dock.pretrain_job.button.click()
    labels = QgsProject.instance().mapLayersByName("labels")[0]
    dock.labels.setLayer(labels)
    dock.ft_name.setText("same-name")
    dock.finetune_job.button.click()
    assert dock.finetune_job.task is None
    refused = [m for m in bar.get_messages(Qgis.MessageLevel.Critical) if "same-name is being written" in m]
    assert refused, bar.get_messages(Qgis.MessageLevel.Critical)
    # Cancel reaches the job of its own row: the pretraining is cancelled, the classification goes on
    pretrain, classify = dock.pretrain_job.task, dock.classify_job.task
    dock.pretrain_job.cancel_button.click()
    assert pretrain.isCanceled() and not classify.isCanceled()
    wait_for(lambda: dock.task is None, 300)
    assert out.exists()
    assert len(QgsProject.instance().layerTreeRoot().findGroups()) == groups_before + 1  # one result group
    assert dock.classify_job.button.isEnabled() and not dock.classify_job.cancel_button.isEnabled()
    assert any("Pretrain cancelled" in m for m in bar.get_messages(Qgis.MessageLevel.Warning))


def test_errors_say_what_to_do_in_their_first_line(qgis_iface, plugin_scene, tmp_path: Path, monkeypatch) -> None:
    import sys

    from omnisat_qgis import runner_manager
    from omnisat_qgis.gui.dock import OmniSatDock

    bar = qgis_iface.messageBar()
    bar.clear_messages()
    monkeypatch.setattr(runner_manager, "_MANAGER", runner_manager.RunnerManager(python=sys.executable,
                                                                                 home=tmp_path / "idle"))
    dock = OmniSatDock(qgis_iface)
    assert dock.runner_state == "not connected" and "Connect runner" in dock.status.text()
    dock.out.setFilePath(str(tmp_path / "x.tif"))
    dock.classify_job.button.click()
    last = bar.get_messages(Qgis.MessageLevel.Critical)[-1]
    assert "OmniSat · Classify:the runner is not connected" in last, last
    dock.finetune_job.button.click()  # no label layer in this project yet
    assert "choose a label polygon layer" in bar.get_messages(Qgis.MessageLevel.Critical)[-1]
    dock.pretrain_job.button.click()
    assert "choose an aerial layer or tick Sentinel-1/2 layers" in bar.get_messages(Qgis.MessageLevel.Critical)[-1]
    assert dock.task is None
    dock.deleteLater()
    monkeypatch.setattr(runner_manager, "_MANAGER", runner_manager.RunnerManager(python=str(tmp_path / "none"),
                                                                                 home=tmp_path / "idle"))
    dock = OmniSatDock(qgis_iface)
    assert dock.runner_state == "not installed" and "Install runner" in dock.status.text()
    dock.deleteLater()


def test_class_field_defaults_to_the_text_field_holding_class_names(dock, tmp_path: Path) -> None:
    from qgis.core import QgsFeature, QgsVectorLayer

    from omnisat_qgis.qtcompat import field_type

    layer = QgsVectorLayer("Polygon?crs=EPSG:2154&field=fid_x:integer&field=code:integer&field=note:string"
                           "&field=Species:string&field=colour:string", "trees", "memory")
    layer.dataProvider().addFeatures([QgsFeature(layer.fields())])
    QgsProject.instance().addMapLayer(layer)
    dock.labels.setLayer(layer)
    assert dock.class_field.currentField() == "Species"
    assert dock.color_field.currentField() == "colour"
    assert field_type is not None
    labels = QgsProject.instance().mapLayersByName("labels")[0]
    dock.labels.setLayer(labels)
    assert dock.class_field.currentField() == "class_name"


def test_the_device_chosen_in_settings_is_sent(dock) -> None:
    from qgis.core import QgsSettings

    QgsSettings().setValue("omnisat/device", "cpu")
    try:
        assert dock.imagery().spec()["device"] == "cpu"
    finally:
        QgsSettings().remove("omnisat/device")
    assert dock.imagery().spec()["device"] == "auto"


def test_a_runner_that_fails_to_start_shows_failed_with_its_reason(qgis_iface, tmp_path: Path, monkeypatch) -> None:
    import shutil

    from omnisat_qgis import runner_manager
    from omnisat_qgis.gui.dock import OmniSatDock

    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'No module named torch' >&2\nexit 3\n")
    broken.chmod(0o755)
    assert shutil.which(str(broken))
    monkeypatch.setattr(runner_manager, "_MANAGER", runner_manager.RunnerManager(python=str(broken),
                                                                                 home=tmp_path / "h"))
    bar = qgis_iface.messageBar()
    bar.clear_messages()
    dock = OmniSatDock(qgis_iface)
    dock.restart_runner()
    assert dock.runner_state == "starting"
    wait_for(lambda: dock.runner_state != "starting", 60)
    assert dock.runner_state == "failed"
    assert "Runner: failed" in dock.status.text() and "exited at start (code 3)" in dock.status.text()
    assert dock.connect_button.isEnabled()  # try again after fixing
    first = bar.get_messages(Qgis.MessageLevel.Critical)[-1]
    assert "could not be started or reached: the runner exited at start (code 3)" in first, first
    dock.deleteLater()


def test_a_new_label_layer_and_a_chosen_extent(dock, tmp_path: Path) -> None:
    from qgis.core import QgsCoordinateReferenceSystem, QgsRectangle, QgsWkbTypes

    from omnisat_qgis.gui.dock import create_label_layer
    from omnisat_qgis.qtcompat import is_text

    layer = create_label_layer(str(tmp_path / "new_labels.gpkg"), QgsCoordinateReferenceSystem("EPSG:2154"))
    assert layer.isValid() and layer.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry
    assert [f.name() for f in layer.fields() if is_text(f)] == ["class_name", "color"]
    dock.labels.setLayer(layer)
    assert dock.class_field.currentField() == "class_name" and dock.color_field.currentField() == "color"
    assert dock.imagery().extent is None  # empty extent: the imagery's common extent
    crs = QgsCoordinateReferenceSystem("EPSG:32631")
    dock.extent.setOutputCrs(crs)
    dock.extent.setOutputExtentFromUser(QgsRectangle(500000, 4499000, 500300, 4499300), crs)
    im = dock.imagery()
    assert im.extent == (500000, 4499000, 500300, 4499300) and im.extent_crs == "EPSG:32631"
