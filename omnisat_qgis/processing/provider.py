"""The "OmniSat" Processing provider."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from omnisat_qgis.processing.classify_extent import ClassifyExtentAlgorithm
from omnisat_qgis.processing.export_map import ExportMapAlgorithm
from omnisat_qgis.processing.finetune import FinetuneAlgorithm
from omnisat_qgis.processing.pretrain import PretrainAlgorithm

ICON = Path(__file__).resolve().parents[1] / "icon.svg"


class OmniSatProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "omnisat"

    def name(self) -> str:
        return "OmniSat"

    def icon(self):
        return QIcon(str(ICON)) if ICON.exists() else super().icon()

    def loadAlgorithms(self) -> None:
        for alg in (ClassifyExtentAlgorithm(), PretrainAlgorithm(), FinetuneAlgorithm(), ExportMapAlgorithm()):
            self.addAlgorithm(alg)
