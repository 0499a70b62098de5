"""Pretrain: self-supervised OmniSat on the chosen imagery (no labels), saved as a runner model."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputString,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from omnisat_qgis.params import PretrainParams
from omnisat_qgis.processing.base import OmniSatAlgorithm, tr

SIZES = ["auto", "tiny", "base"]  # auto: the runner picks from the amount of imagery and says why


class PretrainAlgorithm(OmniSatAlgorithm):
    def name(self) -> str:
        return "pretrain"

    def displayName(self) -> str:
        return tr("Pretrain (self-supervised)")

    def shortHelpString(self) -> str:
        return tr("Pretrains OmniSat on the imagery itself with its contrastive and masked-reconstruction losses; no "
                  "labels are needed. The model is saved by the runner under MODEL_NAME (replacing a model of that "
                  "name only when training completes) and can then be fine-tuned on labels. SIZE: base (the paper's "
                  "model; a GPU helps) or tiny (fast on a CPU). EPOCHS: passes over the extent.")

    def initAlgorithm(self, config=None) -> None:
        self.add_imagery_parameters()
        self.addParameter(QgsProcessingParameterString("MODEL_NAME", tr("New model name"), "pretrained"))
        self.addParameter(QgsProcessingParameterNumber("EPOCHS", tr("Epochs"), defaultValue=20, minValue=1))
        self.addParameter(QgsProcessingParameterEnum("SIZE", tr("Model size"), SIZES, defaultValue=0))
        self.addOutput(QgsProcessingOutputString("MODEL", tr("Model")))

    def processAlgorithm(self, parameters, context, feedback):
        imagery = self.imagery(parameters, context)
        params = PretrainParams(imagery, self.parameterAsString(parameters, "MODEL_NAME", context),
                                epochs=self.parameterAsInt(parameters, "EPOCHS", context),
                                size=SIZES[self.parameterAsEnum(parameters, "SIZE", context)])
        result = self.run_job("pretrain", params.spec(), feedback)
        return {"MODEL": result["model"]}
