"""The OmniSat dock, organised as the analyst's workflow: Imagery, Train, Classify, Export.

The dock only gathers parameters (params.py dataclasses) and hands them to tasks: runner jobs as RunnerJobTask, every
other runner call (connect, model list, model card) through background.run_in_background, so the main thread never
waits on the runner. Results come back through callbacks on the main thread, which load and style the layers.
Every page scrolls vertically only and wraps its texts, so the dock reads whole from 360 px wide.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsFields,
    QgsProject,
    QgsRasterLayer,
    QgsSettings,
    QgsVectorFileWriter,
    QgsVectorLayer,
)
from qgis.gui import QgsExtentWidget, QgsFieldComboBox, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import QSize, Qt, QUrl
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from omnisat_qgis.background import run_in_background
from omnisat_qgis.gui.jobs import JobControls, OutputLocks
from omnisat_qgis.gui.series_table import SeriesTable
from omnisat_qgis.i18n import tr
from omnisat_qgis.model_card import choices_html
from omnisat_qgis.params import ClassifyParams, FinetuneParams, Imagery, PretrainParams
from omnisat_qgis.qtcompat import is_text, layer_filter, polygon_wkb, string_field
from omnisat_qgis.results import run_summary
from omnisat_qgis.runner_manager import current_client, manager
from omnisat_qgis.styling import style_class_map, style_confidence
from omnisat_qgis.tasks import RunnerJobTask, log

CLASS_FIELD_NAMES = re.compile(r"class|label|name|species|type|code|essence|art", re.IGNORECASE)


def form_layout(parent: QWidget | None = None) -> QFormLayout:
    """A form whose labels go above their fields when the dock is narrow (no horizontal overflow)."""
    form = QFormLayout(parent)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def _score(value) -> str:
    """A validation score as people read it (0.195, not 0.19534883720930232); '–' when the card has none."""
    return f"{value:.3f}" if isinstance(value, (int, float)) else "–"


def form_page() -> tuple[QWidget, QFormLayout]:
    """A page holding a form at its top (the space below stays empty rather than stretching the fields)."""
    page = QWidget()
    v = QVBoxLayout(page)
    form = form_layout()
    v.addLayout(form)
    v.addStretch(1)
    return page, form


def wrapped(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def scroll_page(content: QWidget) -> QScrollArea:
    """A tab page that scrolls vertically and never horizontally: its content takes the viewport's width."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(content)
    return scroll


def shrinkable(widget: QWidget) -> QWidget:
    """Let a combo box or file widget be narrower than its longest item (it elides instead)."""
    widget.setMinimumWidth(60)
    widget.setSizePolicy(QSizePolicy.Policy.Ignored, widget.sizePolicy().verticalPolicy())
    if isinstance(widget, QComboBox):
        widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        widget.setMinimumContentsLength(8)
    return widget


class _Body(QWidget):
    """The dock's content: asks for a comfortable 420 px when first docked; reads whole down to 300 px."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(420, super().sizeHint().height())


class OmniSatDock(QDockWidget):
    def __init__(self, iface, parent=None) -> None:
        super().__init__(tr("OmniSat"), parent)
        self.setObjectName("OmniSatDock")
        self.iface = iface
        self.locks = OutputLocks()
        self.runner_state = "not connected"
        self._connect_task = None
        body = _Body()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        self.status = wrapped("")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.status)
        row = QHBoxLayout()
        self.connect_button = QPushButton(tr("Connect runner"))
        self.connect_button.clicked.connect(lambda _=False: self.restart_runner())
        settings = QPushButton(tr("Settings…"))
        settings.clicked.connect(self.open_settings)
        row.addWidget(self.connect_button, 1)
        row.addWidget(settings)
        lay.addLayout(row)
        self.tabs = QTabWidget()
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.addTab(scroll_page(self._imagery_page()), tr("Imagery"))
        self.tabs.addTab(scroll_page(self._train_page()), tr("Train"))
        self.tabs.addTab(scroll_page(self._classify_page()), tr("Classify"))
        self.tabs.addTab(scroll_page(self._export_page()), tr("Export"))
        lay.addWidget(self.tabs, 1)
        self.setWidget(body)
        self.setMinimumWidth(300)
        self.jobs = {"pretrain": self.pretrain_job, "finetune": self.finetune_job, "classify": self.classify_job}
        self._show_state()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """First shown: widen to a comfortable 420 px if QGIS docked it at its minimum."""
        super().showEvent(event)
        parent = self.parentWidget()
        if not getattr(self, "_widened", False) and self.width() < 400 and hasattr(parent, "resizeDocks"):
            self._widened = True
            parent.resizeDocks([self], [420], Qt.Orientation.Horizontal)

    # -- runner state --------------------------------------------------------------------------------
    def _show_state(self, state: str | None = None, detail: str = "") -> None:
        """The runner line at the top: not installed / not connected / starting… / connected / failed (why)."""
        if state is None:
            m = manager()
            state = "connected" if m.connected else ("not connected" if m.installed else "not installed")
        self.runner_state = state
        texts = {"not installed": tr("Runner: not installed — open Settings… and click Install runner, or enter "
                                     "a remote runner's URL"),
                 "not connected": tr("Runner: not connected — click Connect runner"),
                 "starting": tr("Runner: starting…"),
                 "connected": tr("Runner: connected"),
                 "failed": tr("Runner: failed")}
        text = texts[state] + (f" · {detail}" if detail else "")
        self.status.setText(text)
        self.connect_button.setEnabled(state != "starting")
        self.connect_button.setText(tr("Restart runner") if state == "connected" and manager().started_here
                                    else tr("Connect runner"))

    def restart_runner(self):
        """Connect (or restart a runner this plugin started) in the background; the dock stays usable."""
        m = manager()
        if not m.installed:
            self._show_state("not installed")
            self.error(tr("Runner"), tr("the runner is not installed: open Settings… and click Install runner"))
            return None
        restart = m.started_here
        self._show_state("starting")

        def connect() -> dict:
            client = m.restart() if restart else m.client()
            return client.health()

        def done(health, error) -> None:
            self._connect_task = None
            if error:
                first = error.splitlines()[0] if error else error
                self._show_state("failed", first)
                self.error(tr("Runner"), tr("the runner could not be started or reached: {reason}").format(
                    reason=first), error)
                return
            self._show_state("connected", f"{health['runner_version']} · {health['device_name']} · torch "
                                          f"{health['torch_version']}")
            self.refresh_models()

        self._connect_task = run_in_background(tr("OmniSat: connect to the runner"), connect, done, owner=self)
        return self._connect_task

    def open_settings(self) -> None:
        from omnisat_qgis.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self)
        dialog.exec()
        self._show_state()

    # -- building ------------------------------------------------------------------------------------
    def _imagery_page(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        form = form_layout()
        self.aerial = shrinkable(QgsMapLayerComboBox())
        self.aerial.setFilters(layer_filter("RasterLayer"))
        self.aerial.setAllowEmptyLayer(True)
        self.aerial.setLayer(None)
        form.addRow(tr("Aerial image"), self.aerial)
        v.addLayout(form)
        self.s1, self.s2 = SeriesTable(), SeriesTable()
        for label, table, pattern in ((tr("Sentinel-1: one layer per date (date editable)"), self.s1, "S1_*"),
                                      (tr("Sentinel-2: one layer per date (date editable)"), self.s2, "S2_*")):
            box = QGroupBox()
            bv = QVBoxLayout(box)
            bv.addWidget(wrapped(label))
            bv.addWidget(table)
            edit = QLineEdit(pattern)
            edit.setToolTip(tr("Layer names to add, with * as a wildcard"))
            edit.setMinimumWidth(50)
            add = QPushButton(tr("Add matching"))
            add.setToolTip(tr("Add every raster layer of the project whose name matches the pattern"))
            add.clicked.connect(lambda _=False, t=table, e=edit: t.add_matching(e.text()))
            clear = QPushButton(tr("Clear"))
            clear.clicked.connect(table.clear_layers)
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(add)
            row.addWidget(clear)
            bv.addLayout(row)
            v.addWidget(box)
        form = form_layout()
        self.extent = shrinkable(QgsExtentWidget(None, QgsExtentWidget.WidgetStyle.CondensedStyle))
        self.extent.setNullValueAllowed(True, tr("the imagery's common extent"))
        self.extent.clear()
        canvas = self.iface.mapCanvas() if self.iface is not None else None
        if canvas is not None:
            try:
                self.extent.setMapCanvas(canvas)
            except TypeError:
                pass
            self.extent.setOriginalExtent(canvas.extent(), canvas.mapSettings().destinationCrs())
            self.extent.setOutputCrs(canvas.mapSettings().destinationCrs())
        form.addRow(tr("Extent"), self.extent)
        self.patch = QDoubleSpinBox()
        self.patch.setRange(1, 1000)
        self.patch.setValue(10)
        self.patch.setSuffix(" m")
        form.addRow(tr("Patch size"), self.patch)
        v.addLayout(form)
        v.addStretch(1)
        return page

    def _train_page(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        box = QGroupBox(tr("Fine-tune on labels"))
        form = form_layout(box)
        self.labels = shrinkable(QgsMapLayerComboBox())
        self.labels.setFilters(layer_filter("PolygonLayer"))
        self.class_field = shrinkable(QgsFieldComboBox())
        self.color_field = shrinkable(QgsFieldComboBox())
        self.color_field.setAllowEmptyFieldName(True)
        self.labels.layerChanged.connect(self._label_layer_changed)
        self.ft_name = QLineEdit("classifier")
        self.ft_epochs = QSpinBox()
        self.ft_epochs.setRange(1, 10000)
        self.ft_epochs.setValue(30)
        self.from_model = shrinkable(QComboBox())
        self.from_model.addItem(tr("(from scratch)"), None)
        form.addRow(tr("Label polygons"), self.labels)
        new = QPushButton(tr("New label layer…"))
        new.clicked.connect(self.new_label_layer)
        form.addRow("", new)
        form.addRow(tr("Class field"), self.class_field)
        form.addRow(tr("Colour field (optional)"), self.color_field)
        form.addRow(tr("Start from"), self.from_model)
        form.addRow(tr("New model name"), self.ft_name)
        form.addRow(tr("Epochs"), self.ft_epochs)
        self.finetune_job = JobControls(tr("Fine-tune"), self.finetune)
        form.addRow(self.finetune_job)
        v.addWidget(box)
        self._label_layer_changed(self.labels.currentLayer())

        box = QGroupBox(tr("Pretrain"))
        form = form_layout(box)
        form.addRow(wrapped(tr("Self-supervised, no labels: teaches the model your imagery before fine-tuning.")))
        self.pre_name = QLineEdit("pretrained")
        self.pre_epochs = QSpinBox()
        self.pre_epochs.setRange(1, 10000)
        self.pre_epochs.setValue(20)
        self.size = QComboBox()
        self.size.addItems(["auto", "tiny", "base"])  # auto: the runner picks from the imagery and says why
        form.addRow(tr("New model name"), self.pre_name)
        form.addRow(tr("Epochs"), self.pre_epochs)
        form.addRow(tr("Size"), self.size)
        self.pretrain_job = JobControls(tr("Pretrain"), self.pretrain)
        form.addRow(self.pretrain_job)
        v.addWidget(box)
        v.addStretch(1)
        return page

    def _classify_page(self) -> QWidget:
        page, form = form_page()
        self.model = shrinkable(QComboBox())
        self.model.currentTextChanged.connect(self.show_card)
        form.addRow(tr("Model"), self.model)
        refresh = QPushButton(tr("Refresh model list"))
        refresh.clicked.connect(lambda _=False: self.refresh_models())
        form.addRow("", refresh)
        self.card = QTextBrowser()
        self.card.setMinimumHeight(60)
        self.card.setMaximumHeight(140)
        self.card.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        self.card.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        form.addRow(self.card)
        self.out = shrinkable(QgsFileWidget())
        self.out.setStorageMode(QgsFileWidget.StorageMode.SaveFile)
        self.out.setFilter("GeoTIFF (*.tif)")
        form.addRow(tr("Class map"), self.out)
        self.classify_job = JobControls(tr("Classify"), self.classify)
        form.addRow(self.classify_job)
        return page

    def _export_page(self) -> QWidget:
        page, form = form_page()
        form.addRow(wrapped(tr("Polygons with hectares, an area table and a printable map from a class map.")))
        self.export_map_layer = shrinkable(QgsMapLayerComboBox())
        self.export_map_layer.setFilters(layer_filter("RasterLayer"))
        self.export_confidence = shrinkable(QgsMapLayerComboBox())
        self.export_confidence.setFilters(layer_filter("RasterLayer"))
        self.export_confidence.setAllowEmptyLayer(True)
        self.export_confidence.setLayer(None)
        self.export_title = QLineEdit(tr("Land cover"))
        self.export_folder = shrinkable(QgsFileWidget())
        self.export_folder.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        form.addRow(tr("Class map"), self.export_map_layer)
        form.addRow(tr("Confidence (optional)"), self.export_confidence)
        form.addRow(tr("Title"), self.export_title)
        form.addRow(tr("Output folder"), self.export_folder)
        self.export_job = JobControls(tr("Export map"), self.export_map)
        form.addRow(self.export_job)
        self.export_files = QListWidget()
        self.export_files.setToolTip(tr("Double-click a file to open it"))
        self.export_files.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.export_files.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.export_files.setMinimumHeight(60)
        self.export_files.itemActivated.connect(self.open_export_file)
        form.addRow(wrapped(tr("Files written (double-click to open):")))
        form.addRow(self.export_files)
        return page

    def _label_layer_changed(self, layer) -> None:
        """Class field default: the first text field named like class/label/name/species, else the first text."""
        self.class_field.setLayer(layer)
        self.color_field.setLayer(layer)
        self.color_field.setField("")
        if layer is None:
            return
        fields = list(layer.fields())
        text = [f for f in fields if is_text(f)]
        named = [f for f in text if CLASS_FIELD_NAMES.search(f.name())]
        choice = (named or text or fields or [None])[0]
        if choice is not None:
            self.class_field.setField(choice.name())
        colour = [f for f in text if f.name().lower() in ("color", "colour", "couleur", "farbe")]
        if colour:
            self.color_field.setField(colour[0].name())

    # -- parameters ----------------------------------------------------------------------------------
    def device(self) -> str:
        """The device chosen in Settings (auto, cpu or cuda), sent with every job."""
        value = QgsSettings().value("omnisat/device", "auto") or "auto"
        return value if value in ("auto", "cpu", "cuda") else "auto"

    def imagery(self) -> Imagery:
        aerial = self.aerial.currentLayer()
        im = Imagery(aerial=aerial.source() if aerial else None, s1=self.s1.series(), s2=self.s2.series(),
                     patch_size=self.patch.value(), device=self.device())
        if self.extent.isValid() and not self.extent.outputExtent().isNull() and self.extent.outputExtent().width() > 0:
            rect = self.extent.outputExtent()
            im.extent = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
            crs = self.extent.outputCrs()
            im.extent_crs = crs.authid() or crs.toWkt()
        if not (im.aerial or im.s1 or im.s2):
            raise ValueError(tr("choose an aerial layer or tick Sentinel-1/2 layers on the Imagery tab"))
        return im

    def classify_params(self) -> ClassifyParams:
        if not self.model.currentText():
            if self.runner_state != "connected":
                raise ValueError(tr("the runner is not connected: click Connect runner at the top of the panel"))
            raise ValueError(tr("choose a model (fine-tune one on labels first, Train tab)"))
        if not self.out.filePath():
            raise ValueError(tr("choose where to write the class map"))
        out = self.out.filePath()
        return ClassifyParams(self.imagery(), self.model.currentText(), out if out.endswith(".tif") else out + ".tif")

    def finetune_params(self) -> FinetuneParams:
        layer = self.labels.currentLayer()
        if layer is None:
            raise ValueError(tr("choose a label polygon layer (or create one with New label layer…)"))
        if not self.class_field.currentField():
            raise ValueError(tr("choose the field of {layer} that holds the class names").format(layer=layer.name()))
        if not self.ft_name.text().strip():
            raise ValueError(tr("name the new model"))
        if layer.isEditable() or layer.isModified():
            layer.commitChanges()
        return FinetuneParams(self.imagery(), layer.source().split("|")[0], self.class_field.currentField(),
                              self.ft_name.text().strip(), self.from_model.currentData() or None,
                              self.color_field.currentField() or None, self.ft_epochs.value(), self.size.currentText())

    def pretrain_params(self) -> PretrainParams:
        if not self.pre_name.text().strip():
            raise ValueError(tr("name the new model"))
        return PretrainParams(self.imagery(), self.pre_name.text().strip(), self.pre_epochs.value(),
                              self.size.currentText())

    # -- runner calls in the background --------------------------------------------------------------
    def refresh_models(self):
        """Ask the runner for its models in the background; the combo boxes fill when it answers."""
        if not manager().connected and not manager().installed:
            self._show_state("not installed")
            return None

        def done(models, error) -> None:
            if error:
                if self.runner_state == "starting":
                    self._show_state("failed", error.splitlines()[0])
                self.error(tr("Model list"), tr("could not list the runner's models: {reason}").format(
                    reason=error.splitlines()[0]), error)
                return
            if self.runner_state != "connected":
                self._show_state("connected")
            current, base = self.model.currentText(), self.from_model.currentData()
            self.model.blockSignals(True)
            self.model.clear()
            self.from_model.clear()
            self.from_model.addItem(tr("(from scratch)"), None)
            for m in models:
                if m.get("kind") == "classifier":
                    self.model.addItem(m["name"])
                self.from_model.addItem(m["name"], m["name"])
            if current and self.model.findText(current) >= 0:
                self.model.setCurrentText(current)
            if base and self.from_model.findData(base) >= 0:
                self.from_model.setCurrentIndex(self.from_model.findData(base))
            self.model.blockSignals(False)
            self.show_card(self.model.currentText())

        if not manager().connected:
            self._show_state("starting")
        return run_in_background(tr("OmniSat: list models"), lambda: current_client().models(), done, owner=self)

    def show_card(self, name: str):
        """The model card (classes, modalities, validation scores), fetched in the background."""
        if not name:
            self.card.clear()
            return None
        self.card.setPlainText(tr("loading {name}…").format(name=name))

        def done(card, error) -> None:
            if self.model.currentText() != name:  # the user moved on: a stale answer
                return
            if error:
                self.card.setPlainText(error)
                return
            metrics = card.get("metrics") or {}
            classes = ", ".join(c["name"] for c in card.get("classes") or [])  # names from the user's layer
            self.card.setHtml(tr("<b>{name}</b> ({size}, {kind})<br>modalities: {modalities}<br>classes: {classes}"
                                 "<br>validation: OA {oa}, macro F1 {f1}").format(
                name=html.escape(name), size=card.get("size"), kind=card.get("kind"),
                modalities=", ".join(card.get("modalities", [])), classes=html.escape(classes),
                oa=_score(metrics.get("overall_accuracy")), f1=_score(metrics.get("macro_f1")))
                + choices_html(card))  # what the runner chose from the data (size, dates) and why

        return run_in_background(tr("OmniSat: model card"), lambda: current_client().model_card(name), done,
                                 owner=self)

    # -- jobs ----------------------------------------------------------------------------------------
    @property
    def task(self) -> RunnerJobTask | None:
        """The running job started last (for code that knows one job only: plugin unload, scripts)."""
        running = [c.task for c in self.jobs.values() if c.task is not None]
        return running[-1] if running else None

    def cancel(self) -> None:
        """Cancel every job this dock started."""
        for controls in self.jobs.values():
            controls.cancel()

    def pretrain(self) -> None:
        self._start("pretrain", self.pretrain_params, tr("Pretrain"), self._model_done,
                    lambda p: "model:" + p.out_model)

    def finetune(self) -> None:
        self._start("finetune", self.finetune_params, tr("Fine-tune"), self._model_done,
                    lambda p: "model:" + p.out_model)

    def classify(self) -> None:
        self._start("classify", self.classify_params, tr("Classify"), self._classify_done, lambda p: p.out)

    def _start(self, kind: str, make_params, label: str, done, output_of) -> RunnerJobTask | None:
        controls = self.jobs[kind]
        if controls.busy:
            self.error(label, tr("a {action} job is already running: wait for it or click its Cancel").format(
                action=label))
            return None
        try:
            params = make_params()
        except ValueError as err:
            self.error(label, str(err))
            return None
        output = output_of(params)
        holder = self.locks.holder(output)
        if holder is not None:
            shown = output[len("model:"):] if output.startswith("model:") else output
            self.error(label, tr("{output} is being written by the running {job} job: choose another name or cancel "
                                 "that job").format(output=shown, job=holder))
            return None
        self.locks.take(output, label)
        task = RunnerJobTask(f"OmniSat: {label}", current_client, kind, params.spec(),
                             lambda job, err: self._finished(job, err, done, label, controls, output))
        controls.begin(task)
        QgsApplication.taskManager().addTask(task)
        return task

    def _finished(self, job, error, done, label, controls: JobControls, output: str) -> None:
        self.locks.release(output)
        controls.end(not error)
        if error == "cancelled":
            self.iface.messageBar().pushMessage("OmniSat", tr("{action} cancelled").format(action=label),
                                                level=Qgis.MessageLevel.Warning)
            return
        if error:
            if "not reachable" in error or "did not start" in error:  # the runner went away: say so at the top
                self._show_state("failed", error.splitlines()[0])
            self.error(label, tr("failed: {reason}").format(reason=error.splitlines()[0]), error)
            return
        done(job)

    def _model_done(self, job) -> None:
        m = job["result"].get("metrics") or {}
        text = tr("model {name} saved").format(name=job["result"]["model"])
        if m.get("macro_f1") is not None:
            text += tr(" — validation OA {oa:.3f}, macro F1 {f1:.3f}").format(
                oa=m.get("overall_accuracy"), f1=m.get("macro_f1"))
            log(json.dumps({"per_class_f1": m.get("per_class_f1"), "confusion": m.get("confusion")}))
        self.iface.messageBar().pushMessage("OmniSat", text, level=Qgis.MessageLevel.Success)
        self.refresh_models()

    def _classify_done(self, job) -> None:
        result = job["result"]
        cm, conf = load_result(result, f"OmniSat {result['model']}")
        self.export_map_layer.setLayer(cm)
        self.export_confidence.setLayer(conf)
        if not self.export_folder.filePath():
            class_map = Path(result["class_map"])
            self.export_folder.setFilePath(str(class_map.parent / f"{class_map.stem}_export"))
        self.iface.messageBar().pushMessage("OmniSat", tr("class map written to {path}").format(
            path=result["class_map"]) + run_summary(result), level=Qgis.MessageLevel.Success)

    # -- export --------------------------------------------------------------------------------------
    def export_map(self):
        """Polygons and area tables on a worker thread; the printed map (a QGIS layout) on the main thread."""
        from omnisat_qgis.export import export_paths, export_tables, print_map

        label = tr("Export map")
        if self.export_job.busy:
            self.error(label, tr("an export is already running: wait for it or click its Cancel"))
            return None
        layer = self.export_map_layer.currentLayer()
        if layer is None:
            self.error(label, tr("choose a class map layer (classify first, or add one to the project)"))
            return None
        folder = self.export_folder.filePath().strip()
        if not folder:
            self.error(label, tr("choose an output folder for the export"))
            return None
        conf = self.export_confidence.currentLayer()
        source, conf_source = layer.source(), conf.source() if conf else None
        title = self.export_title.text().strip() or tr("Land cover")
        model_name = layer.name()
        paths = export_paths(source, folder)
        self.export_files.clear()

        def done(_value, error) -> None:
            if error == "cancelled":
                self.export_job.end(False)
                self.iface.messageBar().pushMessage("OmniSat", tr("{action} cancelled").format(action=label),
                                                    level=Qgis.MessageLevel.Warning)
                return
            if error:
                self.export_job.end(False)
                self.error(label, tr("failed: {reason}").format(reason=error.splitlines()[0]), error)
                return
            try:
                print_map(QgsRasterLayer(source, tr("Classes")), paths["pdf"], paths["png"], title, model_name)
            except (RuntimeError, OSError) as err:
                self.export_job.end(False)
                self.error(label, tr("the map could not be printed: {reason}").format(reason=err))
                return
            self.export_job.end(True)
            self.list_export_files(paths)
            self.iface.messageBar().pushMessage("OmniSat", tr("export written to {folder}").format(folder=folder),
                                                level=Qgis.MessageLevel.Success)

        task = run_in_background(tr("OmniSat: export map"),
                                 lambda: export_tables(source, conf_source, paths, title, model_name), done,
                                 owner=self)
        self.export_job.begin(task)
        return task

    def list_export_files(self, paths: dict[str, str]) -> None:
        self.export_files.clear()
        for path in paths.values():
            if Path(path).exists():
                item = QListWidgetItem(Path(path).name)
                item.setData(Qt.ItemDataRole.UserRole, path)
                item.setToolTip(path)
                self.export_files.addItem(item)

    def open_export_file(self, item: QListWidgetItem) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(item.data(Qt.ItemDataRole.UserRole)))

    def new_label_layer(self) -> None:
        from qgis.PyQt.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, tr("New label layer"), "labels.gpkg", "GeoPackage (*.gpkg)")
        if path:
            layer = create_label_layer(path, QgsProject.instance().crs())
            self.labels.setLayer(layer)

    def error(self, action: str, reason: str, details: str = "") -> None:
        """What went wrong and what to do, in the message bar's first line; the rest behind its More button."""
        log(f"{action}: {reason}" + (f"\n{details}" if details and details != reason else ""),
            Qgis.MessageLevel.Critical)
        bar = self.iface.messageBar() if self.iface is not None else None
        if bar is None:
            return
        title = f"OmniSat · {action}"
        if details and details.strip() != reason.strip():
            bar.pushMessage(title, reason, details, level=Qgis.MessageLevel.Critical)
        else:
            bar.pushMessage(title, reason, level=Qgis.MessageLevel.Critical)


def load_result(result: dict, group_name: str) -> tuple[QgsRasterLayer, QgsRasterLayer | None]:
    """Class map and confidence into a layer-tree group, styled from the model's classes (main thread)."""
    project = QgsProject.instance()
    group = project.layerTreeRoot().insertGroup(0, group_name)
    cm = QgsRasterLayer(result["class_map"], tr("classes ({model})").format(model=result["model"]))
    style_class_map(cm, result["classes"])
    project.addMapLayer(cm, False)
    group.addLayer(cm)
    conf = None
    if result.get("confidence") and Path(result["confidence"]).exists():
        conf = QgsRasterLayer(result["confidence"], tr("confidence"))
        style_confidence(conf)
        project.addMapLayer(conf, False)
        group.addLayer(conf)
        group.findLayer(conf.id()).setItemVisibilityChecked(False)
    return cm, conf


def create_label_layer(path: str, crs: QgsCoordinateReferenceSystem) -> QgsVectorLayer:
    """A GeoPackage polygon layer with class_name and color fields, added to the project, ready to draw on."""
    fields = QgsFields()
    fields.append(string_field("class_name"))
    fields.append(string_field("color"))
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = "labels"
    writer = QgsVectorFileWriter.create(path, fields, polygon_wkb(),
                                        crs if crs.isValid() else QgsCoordinateReferenceSystem("EPSG:4326"),
                                        QgsProject.instance().transformContext(), options)
    del writer
    layer = QgsVectorLayer(f"{path}|layername=labels", "labels", "ogr")
    QgsProject.instance().addMapLayer(layer)
    return layer
