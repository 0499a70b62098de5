"""A checkable table of raster layers with an editable date column: one Sentinel time series."""

from __future__ import annotations

import datetime as dt
import fnmatch

from qgis.core import QgsProject, QgsRasterLayer
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem

from omnisat_qgis.dates import date_problems, layer_date
from omnisat_qgis.i18n import tr
from omnisat_qgis.params import SeriesLayer

CHECKED, UNCHECKED = Qt.CheckState.Checked, Qt.CheckState.Unchecked


class SeriesTable(QTableWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels([tr("use"), tr("layer"), tr("date")])
        self.horizontalHeaderItem(2).setToolTip(tr("YYYY-MM-DD; double-click to edit"))
        header = self.horizontalHeader()
        # the name column takes what is left (elided): the date stays whole at any dock width
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().setVisible(False)
        self.setMinimumHeight(90)
        self.setMaximumHeight(150)
        self._ids: list[str] = []
        self.itemChanged.connect(self._on_changed)

    def add_layer(self, layer: QgsRasterLayer) -> None:
        if layer.id() in self._ids:
            return
        self.blockSignals(True)
        row = self.rowCount()
        self.insertRow(row)
        use = QTableWidgetItem()
        use.setCheckState(CHECKED)
        name = QTableWidgetItem(layer.name())
        name.setToolTip(layer.name())
        name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
        d = layer_date(layer.name(), layer.source())
        self.setItem(row, 0, use)
        self.setItem(row, 1, name)
        self.setItem(row, 2, QTableWidgetItem(d.isoformat() if d else ""))
        self._ids.append(layer.id())
        self.blockSignals(False)
        self.flag_dates()

    def add_matching(self, pattern: str) -> int:
        """Add every raster layer of the project whose name matches a shell pattern (e.g. S2_*)."""
        n = 0
        for layer in QgsProject.instance().mapLayers().values():
            if isinstance(layer, QgsRasterLayer) and fnmatch.fnmatch(layer.name(), pattern):
                if layer.id() not in self._ids:
                    self.add_layer(layer)
                    n += 1
        return n

    def clear_layers(self) -> None:
        self.setRowCount(0)
        self._ids.clear()

    def _dates(self) -> list[dt.date | None]:
        out = []
        for r in range(self.rowCount()):
            try:
                out.append(dt.date.fromisoformat(self.item(r, 2).text().strip()))
            except ValueError:
                out.append(None)
        return out

    def flag_dates(self) -> list[str]:
        """Colour bad or duplicate dates among the ticked rows; return the problems."""
        dates = self._dates()
        used = [self.item(r, 0).checkState() == CHECKED for r in range(self.rowCount())]
        problems = date_problems([d if u else dt.date.min for d, u in zip(dates, used, strict=True)])
        self.blockSignals(True)
        for r, p in enumerate(problems):
            item = self.item(r, 2)
            bad = used[r] and bool(p) and dates[r] != dt.date.min
            item.setBackground(QColor("#f4cccc") if bad or (used[r] and dates[r] is None) else QColor(0, 0, 0, 0))
            item.setToolTip(p if used[r] else "")
        self.blockSignals(False)
        return [f"{self.item(r, 1).text()}: {p}" for r, p in enumerate(problems) if used[r] and p]

    def _on_changed(self, item: QTableWidgetItem) -> None:
        if item.column() in (0, 2):
            self.flag_dates()

    def series(self) -> list[SeriesLayer]:
        """The ticked layers with their dates; raises ValueError naming the first bad row."""
        problems = self.flag_dates()
        if problems:
            raise ValueError(problems[0])
        project = QgsProject.instance()
        out = []
        for r, (layer_id, d) in enumerate(zip(self._ids, self._dates(), strict=True)):
            if self.item(r, 0).checkState() != CHECKED:
                continue
            layer = project.mapLayer(layer_id)
            if layer is None:
                raise ValueError(f"layer {self.item(r, 1).text()} was removed from the project")
            out.append(SeriesLayer(layer.source(), d))
        return out
