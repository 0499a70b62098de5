"""The plugin class only wires: toolbar action, dock, Processing provider, the runner it may start."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon

from omnisat_qgis import i18n, runner_manager
from omnisat_qgis.processing.provider import OmniSatProvider
from omnisat_qgis.qtcompat import QAction

ICON = Path(__file__).resolve().parent / "icon.svg"


class OmniSatPlugin:
    def __init__(self, iface) -> None:
        self.iface = iface
        self.action: QAction | None = None
        self.dock = None
        self.provider: OmniSatProvider | None = None
        i18n.install()  # before any widget or algorithm is made: their texts are translated when built

    def initProcessing(self) -> None:
        self.provider = OmniSatProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:
        from omnisat_qgis.gui.dock import OmniSatDock

        self.initProcessing()
        self.dock = OmniSatDock(self.iface, self.iface.mainWindow())
        self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.action = QAction(QIcon(str(ICON)), i18n.tr("OmniSat"), self.iface.mainWindow())
        self.action.setCheckable(True)
        self.action.toggled.connect(self.dock.setVisible)
        self.dock.visibilityChanged.connect(self.action.setChecked)
        self.iface.addToolBarIcon(self.action)
        self.iface.addPluginToRasterMenu("OmniSat", self.action)

    def unload(self) -> None:
        """Remove everything this plugin added and stop the runner it started."""
        if self.dock is not None:
            self.dock.cancel()
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        if self.action is not None:
            self.iface.removeToolBarIcon(self.action)
            self.iface.removePluginRasterMenu("OmniSat", self.action)
            self.action.deleteLater()
            self.action = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        runner_manager.shutdown()
        i18n.remove()
