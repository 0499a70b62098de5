"""Classify extent: a trained OmniSat model over the chosen imagery → styled class map and confidence."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputRasterLayer,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
)

from omnisat_qgis.params import ClassifyParams
from omnisat_qgis.processing.base import OmniSatAlgorithm, tr
from omnisat_qgis.results import run_summary


class ClassifyExtentAlgorithm(OmniSatAlgorithm):
    def name(self) -> str:
        return "classify_extent"

    def displayName(self) -> str:
        return tr("Classify extent")

    def shortHelpString(self) -> str:
        return tr("Runs a fine-tuned OmniSat model of the runner over the extent and writes a class map (GeoTIFF, "
                  "one value per class, names and colours embedded, .qml style beside it) and a confidence raster "
                  "(0–1, `_confidence.tif`). Any subset of the model's modalities may be given. Parameters: aerial "
                  "image; Sentinel-1 and Sentinel-2 series (one raster per date, the date in the layer name, e.g. "
                  "S2_20200315); extent (any CRS); patch size; device; precision (advanced: auto runs base models "
                  "in bf16 where that is faster with the same accuracy, on GPUs and CPUs with AVX512-BF16 or AMX; "
                  "fp32 gives the same map on every machine); MODEL: the name of a classifier listed by the "
                  "runner; OUTPUT: the class map file.")

    def initAlgorithm(self, config=None) -> None:
        self.add_imagery_parameters()
        self.addParameter(QgsProcessingParameterString("MODEL", tr("Model (a fine-tuned classifier)")))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", tr("Class map")))
        self.addOutput(QgsProcessingOutputRasterLayer("CONFIDENCE", tr("Confidence")))

    def processAlgorithm(self, parameters, context, feedback):
        imagery = self.imagery(parameters, context)
        out = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        if not out.lower().endswith((".tif", ".tiff")):
            out = out.rsplit(".", 1)[0] + ".tif"
        params = ClassifyParams(imagery, self.parameterAsString(parameters, "MODEL", context), out)
        result = self.run_job("classify", params.spec(), feedback)
        summary = run_summary(result)
        if summary:
            feedback.pushInfo(f"classified{summary}")
        for a in result.get("areas", []):
            feedback.pushInfo(f"{a['name']}: {a['hectares']:.2f} ha")
        return {"OUTPUT": result["class_map"], "CONFIDENCE": result["confidence"]}
