"""Fine-tune on labels: a classifier from polygons the user drew (any CRS), from a pretrained model or scratch."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputString,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from omnisat_qgis.params import FinetuneParams
from omnisat_qgis.processing.base import OmniSatAlgorithm, tr
from omnisat_qgis.processing.pretrain import SIZES


class FinetuneAlgorithm(OmniSatAlgorithm):
    def name(self) -> str:
        return "finetune"

    def displayName(self) -> str:
        return tr("Fine-tune on labels")

    def shortHelpString(self) -> str:
        return tr("Trains a per-patch classifier from labelled polygons. LABELS: a polygon layer saved to a file "
                  "(GeoPackage, Shapefile, GeoJSON) in any CRS; CLASS_FIELD: its class (text or integer); "
                  "COLOR_FIELD: optional #rrggbb colours; BASE_MODEL: a pretrained model (empty: from scratch). "
                  "Validation uses spatially disjoint blocks; per-class F1 and the confusion matrix are in the log "
                  "and the model card.")

    def initAlgorithm(self, config=None) -> None:
        self.add_imagery_parameters()
        self.addParameter(QgsProcessingParameterFeatureSource("LABELS", tr("Label polygons"),
                                                              [QgsProcessing.SourceType.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterField("CLASS_FIELD", tr("Class field"),
                                                      parentLayerParameterName="LABELS"))
        self.addParameter(QgsProcessingParameterField("COLOR_FIELD", tr("Colour field"),
                                                      parentLayerParameterName="LABELS", optional=True))
        self.addParameter(QgsProcessingParameterString("BASE_MODEL", tr("Pretrained model (empty: from scratch)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterString("MODEL_NAME", tr("New model name"), "classifier"))
        self.addParameter(QgsProcessingParameterNumber("EPOCHS", tr("Epochs"), defaultValue=30, minValue=1))
        self.addParameter(QgsProcessingParameterEnum("SIZE", tr("Model size (from scratch)"), SIZES, defaultValue=0))
        self.addOutput(QgsProcessingOutputString("MODEL", tr("Model")))

    def processAlgorithm(self, parameters, context, feedback):
        imagery = self.imagery(parameters, context)
        source = self.parameterAsSource(parameters, "LABELS", context)
        layer = self.parameterAsVectorLayer(parameters, "LABELS", context)
        path = layer.source().split("|")[0] if layer is not None else parameters["LABELS"]
        params = FinetuneParams(imagery, labels=path,
                                class_field=self.parameterAsString(parameters, "CLASS_FIELD", context),
                                out_model=self.parameterAsString(parameters, "MODEL_NAME", context),
                                base_model=self.parameterAsString(parameters, "BASE_MODEL", context) or None,
                                color_field=self.parameterAsString(parameters, "COLOR_FIELD", context) or None,
                                epochs=self.parameterAsInt(parameters, "EPOCHS", context),
                                size=SIZES[self.parameterAsEnum(parameters, "SIZE", context)])
        feedback.pushInfo(f"{source.featureCount() if source else '?'} label polygons from {path}")
        result = self.run_job("finetune", params.spec(), feedback)
        m = result.get("metrics") or {}
        feedback.pushInfo(f"validation: overall accuracy {m.get('overall_accuracy')}, macro F1 {m.get('macro_f1')}")
        f1s = m.get("per_class_f1") or []
        if isinstance(f1s, dict):
            f1s = list(f1s.values())
        for cls, f1 in zip(result.get("classes") or [], f1s, strict=False):
            feedback.pushInfo(f"  {cls['name']}: F1 {f1}")
        return {"MODEL": result["model"]}
