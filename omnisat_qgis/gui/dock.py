"""The OmniSat dock: imagery, model and extent in; Pretrain / Fine-tune / Classify out, each as a QgsTask.

The dock only gathers parameters (params.py dataclasses) and hands them to tasks; results come back through
callbacks on the main thread, which load and style the layers.
"""

from __future__ import annotations

import json
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsField,
    QgsFields,
    QgsMapLayerProxyModel,
    QgsProject,
    QgsRasterLayer,
    QgsVectorFileWriter,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.gui import QgsExtentGroupBox, QgsFieldComboBox, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt, QVariant
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from omnisat_qgis.client import RunnerError
from omnisat_qgis.gui.series_table import SeriesTable
from omnisat_qgis.params import ClassifyParams, FinetuneParams, Imagery, PretrainParams
from omnisat_qgis.results import run_summary
from omnisat_qgis.runner_manager import current_client, manager
from omnisat_qgis.styling import style_class_map, style_confidence
from omnisat_qgis.tasks import RunnerJobTask, log


class OmniSatDock(QDockWidget):
    def __init__(self, iface, parent=None) -> None:
        super().__init__("OmniSat", parent)
        self.setObjectName("OmniSatDock")
        self.iface = iface
        self.task: RunnerJobTask | None = None
        body = QWidget()
        lay = QVBoxLayout(body)
        self.status = QLabel("runner: not connected")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        lay.addLayout(self._runner_row())
        lay.addWidget(self._imagery_box())
        lay.addWidget(self._model_box())
        lay.addWidget(self._extent_box())
        lay.addWidget(self._pretrain_box())
        lay.addWidget(self._finetune_box())
        lay.addWidget(self._classify_box())
        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.progress)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self.setMinimumWidth(560)

    # -- building ------------------------------------------------------------------------------------
    def _runner_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        b = QPushButton("Connect / restart runner")
        b.clicked.connect(self.restart_runner)
        settings = QPushButton("Settings…")
        settings.clicked.connect(self.open_settings)
        row.addWidget(b)
        row.addWidget(settings)
        row.addStretch(1)
        return row

    def open_settings(self) -> None:
        from omnisat_qgis.gui.settings_dialog import SettingsDialog

        SettingsDialog(self).exec()

    def _imagery_box(self) -> QGroupBox:
        box = QGroupBox("Imagery")
        form = QFormLayout(box)
        self.aerial = QgsMapLayerComboBox()
        self.aerial.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
        self.aerial.setAllowEmptyLayer(True)
        self.aerial.setLayer(None)
        form.addRow("Aerial image", self.aerial)
        self.s1, self.s2 = SeriesTable(), SeriesTable()
        for label, table, pattern in (("Sentinel-1", self.s1, "S1_*"), ("Sentinel-2", self.s2, "S2_*")):
            form.addRow(QLabel(f"{label}: one layer per date (date editable)"))
            form.addRow(table)
            row = QHBoxLayout()
            edit = QLineEdit(pattern)
            add = QPushButton("Add matching layers")
            add.clicked.connect(lambda _=False, t=table, e=edit: t.add_matching(e.text()))
            clear = QPushButton("Clear")
            clear.clicked.connect(table.clear_layers)
            row.addWidget(edit)
            row.addWidget(add)
            row.addWidget(clear)
            form.addRow("", row)
        return box

    def _model_box(self) -> QGroupBox:
        box = QGroupBox("Model")
        form = QFormLayout(box)
        row = QHBoxLayout()
        self.model = QComboBox()
        self.model.currentTextChanged.connect(self.show_card)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_models)
        row.addWidget(self.model, 1)
        row.addWidget(refresh)
        form.addRow("Model", row)
        self.card = QTextBrowser()
        self.card.setMaximumHeight(120)
        form.addRow(self.card)
        return box

    def _extent_box(self) -> QGroupBox:
        box = QGroupBox("Extent")
        v = QVBoxLayout(box)
        self.extent = QgsExtentGroupBox()
        self.extent.setCheckable(True)
        self.extent.setChecked(False)
        self.extent.setTitle("Limit to an extent (canvas, a layer, or draw on the map)")
        canvas = self.iface.mapCanvas() if self.iface is not None else None
        if canvas is not None:
            try:
                self.extent.setMapCanvas(canvas)
            except TypeError:
                pass
            self.extent.setOriginalExtent(canvas.extent(), canvas.mapSettings().destinationCrs())
            self.extent.setOutputCrs(canvas.mapSettings().destinationCrs())
        v.addWidget(self.extent)
        form = QFormLayout()
        self.patch = QDoubleSpinBox()
        self.patch.setRange(1, 1000)
        self.patch.setValue(10)
        self.patch.setSuffix(" m")
        form.addRow("Patch size", self.patch)
        v.addLayout(form)
        return box

    def _pretrain_box(self) -> QGroupBox:
        box = QGroupBox("Pretrain (self-supervised, no labels)")
        form = QFormLayout(box)
        self.pre_name = QLineEdit("pretrained")
        self.pre_epochs = QSpinBox()
        self.pre_epochs.setRange(1, 10000)
        self.pre_epochs.setValue(20)
        self.size = QComboBox()
        self.size.addItems(["base", "tiny"])
        form.addRow("New model name", self.pre_name)
        form.addRow("Epochs", self.pre_epochs)
        form.addRow("Size", self.size)
        self.pretrain_button = QPushButton("Pretrain")
        self.pretrain_button.clicked.connect(self.pretrain)
        form.addRow(self.pretrain_button)
        return box

    def _finetune_box(self) -> QGroupBox:
        box = QGroupBox("Fine-tune on labels")
        form = QFormLayout(box)
        self.labels = QgsMapLayerComboBox()
        self.labels.setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
        self.class_field = QgsFieldComboBox()
        self.color_field = QgsFieldComboBox()
        self.color_field.setAllowEmptyFieldName(True)
        self.labels.layerChanged.connect(self.class_field.setLayer)
        self.labels.layerChanged.connect(self.color_field.setLayer)
        self.class_field.setLayer(self.labels.currentLayer())
        self.color_field.setLayer(self.labels.currentLayer())
        self.ft_name = QLineEdit("classifier")
        self.ft_epochs = QSpinBox()
        self.ft_epochs.setRange(1, 10000)
        self.ft_epochs.setValue(30)
        self.from_model = QComboBox()
        form.addRow("Label polygons", self.labels)
        form.addRow("Class field", self.class_field)
        form.addRow("Colour field (optional)", self.color_field)
        form.addRow("Start from", self.from_model)
        form.addRow("New model name", self.ft_name)
        form.addRow("Epochs", self.ft_epochs)
        row = QHBoxLayout()
        new = QPushButton("New label layer…")
        new.clicked.connect(self.new_label_layer)
        self.finetune_button = QPushButton("Fine-tune on labels")
        self.finetune_button.clicked.connect(self.finetune)
        row.addWidget(new)
        row.addWidget(self.finetune_button)
        form.addRow(row)
        return box

    def _classify_box(self) -> QGroupBox:
        box = QGroupBox("Classify extent")
        form = QFormLayout(box)
        self.out = QgsFileWidget()
        self.out.setStorageMode(QgsFileWidget.StorageMode.SaveFile)
        self.out.setFilter("GeoTIFF (*.tif)")
        form.addRow("Class map", self.out)
        self.classify_button = QPushButton("Classify extent")
        self.classify_button.clicked.connect(self.classify)
        form.addRow(self.classify_button)
        return box

    # -- parameters ----------------------------------------------------------------------------------
    def imagery(self) -> Imagery:
        aerial = self.aerial.currentLayer()
        im = Imagery(aerial=aerial.source() if aerial else None, s1=self.s1.series(), s2=self.s2.series(),
                     patch_size=self.patch.value())
        if self.extent.isChecked():
            rect = self.extent.outputExtent()
            im.extent = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
            crs = self.extent.outputCrs()
            im.extent_crs = crs.authid() or crs.toWkt()
        if not (im.aerial or im.s1 or im.s2):
            raise ValueError("choose an aerial layer or tick Sentinel-1/2 layers")
        return im

    def classify_params(self) -> ClassifyParams:
        if not self.model.currentText():
            raise ValueError("choose a model (fine-tune one on labels first)")
        if not self.out.filePath():
            raise ValueError("choose where to write the class map")
        out = self.out.filePath()
        return ClassifyParams(self.imagery(), self.model.currentText(), out if out.endswith(".tif") else out + ".tif")

    def finetune_params(self) -> FinetuneParams:
        layer = self.labels.currentLayer()
        if layer is None or not self.class_field.currentField():
            raise ValueError("choose a label polygon layer and its class field")
        if layer.isEditable() or layer.isModified():
            layer.commitChanges()
        return FinetuneParams(self.imagery(), layer.source().split("|")[0], self.class_field.currentField(),
                              self.ft_name.text().strip(), self.from_model.currentData() or None,
                              self.color_field.currentField() or None, self.ft_epochs.value(), self.size.currentText())

    def pretrain_params(self) -> PretrainParams:
        return PretrainParams(self.imagery(), self.pre_name.text().strip(), self.pre_epochs.value(),
                              self.size.currentText())

    # -- actions -------------------------------------------------------------------------------------
    def restart_runner(self) -> None:
        try:
            h = manager().restart().health() if manager().started_here else manager().client().health()
            self.status.setText(f"runner {h['runner_version']} · {h['device_name']} · torch {h['torch_version']}")
            self.refresh_models()
        except RunnerError as err:
            self.error("The runner could not be reached", err.message)

    def refresh_models(self) -> None:
        try:
            models = manager().client().models()
        except RunnerError as err:
            self.error("Could not list the runner's models", err.message)
            return
        current = self.model.currentText()
        self.model.clear()
        self.from_model.clear()
        self.from_model.addItem("(from scratch)", None)
        for m in models:
            if m.get("kind") == "classifier":
                self.model.addItem(m["name"])
            self.from_model.addItem(m["name"], m["name"])
        if current:
            self.model.setCurrentText(current)

    def show_card(self, name: str) -> None:
        if not name:
            self.card.clear()
            return
        try:
            card = manager().client().model_card(name)
        except RunnerError as err:
            self.card.setPlainText(err.message)
            return
        metrics = card.get("metrics") or {}
        classes = ", ".join(c["name"] for c in card.get("classes") or [])
        self.card.setHtml(f"<b>{name}</b> ({card.get('size')}, {card.get('kind')})<br>modalities: "
                          f"{', '.join(card.get('modalities', []))}<br>classes: {classes}<br>validation: OA "
                          f"{metrics.get('overall_accuracy')}, macro F1 {metrics.get('macro_f1')}")

    def pretrain(self) -> None:
        self._start("pretrain", self.pretrain_params, "Pretraining", self._model_done)

    def finetune(self) -> None:
        self._start("finetune", self.finetune_params, "Fine-tuning", self._model_done)

    def classify(self) -> None:
        self._start("classify", self.classify_params, "Classifying", self._classify_done)

    def _start(self, kind: str, make_params, label: str, done) -> None:
        try:
            params = make_params()
        except ValueError as err:
            self.error(f"{label}: check the inputs", str(err))
            return
        self.task = RunnerJobTask(f"OmniSat: {label.lower()}", current_client, kind, params.spec(),
                                  lambda job, err: self._finished(job, err, done, label))
        self.task.progressChanged.connect(lambda p: self.progress.setValue(int(p)))
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        QgsApplication.taskManager().addTask(self.task)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _finished(self, job, error, done, label) -> None:
        self.cancel_button.setEnabled(False)
        self.task = None
        if error == "cancelled":
            self.iface.messageBar().pushMessage("OmniSat", f"{label} cancelled", level=Qgis.MessageLevel.Warning)
            return
        if error:
            self.error(f"{label} failed", error)
            return
        self.progress.setValue(100)
        done(job)

    def _model_done(self, job) -> None:
        m = job["result"].get("metrics") or {}
        text = f"model {job['result']['model']} saved"
        if m.get("macro_f1") is not None:
            text += f" — validation OA {m.get('overall_accuracy'):.3f}, macro F1 {m.get('macro_f1'):.3f}"
            log(json.dumps({"per_class_f1": m.get("per_class_f1"), "confusion": m.get("confusion")}))
        self.iface.messageBar().pushMessage("OmniSat", text, level=Qgis.MessageLevel.Success)
        self.refresh_models()

    def _classify_done(self, job) -> None:
        result = job["result"]
        load_result(result, f"OmniSat {result['model']}")
        self.iface.messageBar().pushMessage("OmniSat", f"class map written to {result['class_map']}"
                                            f"{run_summary(result)}", level=Qgis.MessageLevel.Success)

    def new_label_layer(self) -> None:
        from qgis.PyQt.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "New label layer", "labels.gpkg", "GeoPackage (*.gpkg)")
        if path:
            layer = create_label_layer(path, QgsProject.instance().crs())
            self.labels.setLayer(layer)

    def error(self, title: str, details: str) -> None:
        log(f"{title}: {details}", Qgis.MessageLevel.Critical)
        bar = self.iface.messageBar() if self.iface is not None else None
        if bar is None:
            return
        widget = bar.createMessage("OmniSat", title)
        button = QPushButton("Details")
        button.clicked.connect(lambda: self.iface.messageBar().pushMessage("OmniSat", details,
                                                                           level=Qgis.MessageLevel.Critical))
        widget.layout().addWidget(button)
        bar.pushWidget(widget, Qgis.MessageLevel.Critical)


def load_result(result: dict, group_name: str) -> tuple[QgsRasterLayer, QgsRasterLayer | None]:
    """Class map and confidence into a layer-tree group, styled from the model's classes (main thread)."""
    project = QgsProject.instance()
    group = project.layerTreeRoot().insertGroup(0, group_name)
    cm = QgsRasterLayer(result["class_map"], f"classes ({result['model']})")
    style_class_map(cm, result["classes"])
    project.addMapLayer(cm, False)
    group.addLayer(cm)
    conf = None
    if result.get("confidence") and Path(result["confidence"]).exists():
        conf = QgsRasterLayer(result["confidence"], "confidence")
        style_confidence(conf)
        project.addMapLayer(conf, False)
        group.addLayer(conf)
        group.findLayer(conf.id()).setItemVisibilityChecked(False)
    return cm, conf


def create_label_layer(path: str, crs: QgsCoordinateReferenceSystem) -> QgsVectorLayer:
    """A GeoPackage polygon layer with class_name and color fields, added to the project, ready to draw on."""
    fields = QgsFields()
    fields.append(QgsField("class_name", QVariant.String))
    fields.append(QgsField("color", QVariant.String))
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = "labels"
    writer = QgsVectorFileWriter.create(path, fields, QgsWkbTypes.Type.Polygon,
                                        crs if crs.isValid() else QgsCoordinateReferenceSystem("EPSG:4326"),
                                        QgsProject.instance().transformContext(), options)
    del writer
    layer = QgsVectorLayer(f"{path}|layername=labels", "labels", "ogr")
    QgsProject.instance().addMapLayer(layer)
    return layer
