"""What the OmniSat algorithms share: imagery parameters, turning layers into `params.Imagery` (the dock's, so
both build job specs in one place, omnisat_qgis/params.py), running the job."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)
from qgis.PyQt.QtCore import QCoreApplication

from omnisat_qgis.client import RunnerError
from omnisat_qgis.dates import layer_date
from omnisat_qgis.params import Imagery, SeriesLayer
from omnisat_qgis.runner_manager import manager
from omnisat_qgis.tasks import follow_job

DEVICES = ["auto", "cpu", "cuda"]
# bf16 is faster for `base` models on GPUs and on CPUs with AVX512-BF16 or AMX, with the same accuracy; `auto`
# picks it there for classifying (the runner decides, runner/train/device.py; the figures: docs/performance.md)
PRECISIONS = ["auto (bf16 where it is faster: GPUs, base models on bf16 CPUs)", "bf16 (fast on GPUs and CPUs with "
              "AVX512-BF16/AMX)", "fp32 (same map on every machine)"]
AMP = ["auto", "bf16", "off"]


def tr(text: str) -> str:
    return QCoreApplication.translate("OmniSat", text)


class OmniSatAlgorithm(QgsProcessingAlgorithm):
    def group(self) -> str:
        return tr("OmniSat")

    def groupId(self) -> str:
        return "omnisat"

    def createInstance(self):
        return type(self)()

    def add_imagery_parameters(self) -> None:
        self.addParameter(QgsProcessingParameterRasterLayer("AERIAL", tr("Aerial image (3-5 bands: R, G, B, NIR, "
                                                                         "elevation)"), optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers("S1", tr("Sentinel-1 series (one raster per date, VV "
                                                                        "and VH; dates from the names)"),
                                                               QgsProcessing.SourceType.TypeRaster, optional=True))
        self.addParameter(QgsProcessingParameterMultipleLayers("S2", tr("Sentinel-2 series (one raster per date, 10 "
                                                                        "bands; dates from the names)"),
                                                               QgsProcessing.SourceType.TypeRaster, optional=True))
        self.addParameter(QgsProcessingParameterExtent("EXTENT", tr("Extent (default: the imagery's common "
                                                                    "extent)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber("PATCH_SIZE", tr("Patch size (m)"),
                                                       QgsProcessingParameterNumber.Type.Double, 10.0, minValue=1))
        self.addParameter(QgsProcessingParameterEnum("DEVICE", tr("Device"), DEVICES, defaultValue=0))
        precision = QgsProcessingParameterEnum("PRECISION", tr("Precision"), PRECISIONS, defaultValue=0)
        precision.setFlags(precision.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(precision)

    def imagery(self, parameters: dict, context) -> Imagery:
        aerial = self.parameterAsRasterLayer(parameters, "AERIAL", context)
        out = Imagery(aerial=aerial.source() if aerial else None,
                      patch_size=self.parameterAsDouble(parameters, "PATCH_SIZE", context),
                      device=DEVICES[self.parameterAsEnum(parameters, "DEVICE", context)],
                      amp=AMP[self.parameterAsEnum(parameters, "PRECISION", context)])
        for key in ("S1", "S2"):
            series = []
            for layer in self.parameterAsLayerList(parameters, key, context):
                date = layer_date(layer.name(), layer.source())
                if date is None:
                    raise QgsProcessingException(f"{key} layer {layer.name()!r} has no date in its name or metadata")
                series.append(SeriesLayer(layer.source(), date))
            setattr(out, key.lower(), series)
        if parameters.get("EXTENT"):
            rect = self.parameterAsExtent(parameters, "EXTENT", context)
            if not rect.isEmpty():
                crs = self.parameterAsExtentCrs(parameters, "EXTENT", context)
                out.extent = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
                out.extent_crs = crs.authid() or crs.toWkt()
        if not (out.aerial or out.s1 or out.s2):
            raise QgsProcessingException("give at least one of: aerial image, Sentinel-1 series, Sentinel-2 series")
        return out

    def run_job(self, kind: str, spec: dict[str, Any], feedback) -> dict[str, Any]:
        """Submit to the session's runner (started if needed), mirror progress, honour cancel."""
        try:
            client = manager().client()
            job = client.submit(kind, spec)
            feedback.pushInfo(f"{kind} job {job['id']} on the runner")

            def progress(pct: float, p: dict) -> None:
                feedback.setProgress(pct)
                feedback.setProgressText(f"{p.get('stage', '')} {p.get('done', 0)}/{p.get('total', 0)}")

            job = follow_job(client, job["id"], feedback.isCanceled, progress)
        except RunnerError as err:
            raise QgsProcessingException(f"runner: {err.message}") from None
        if job["state"] == "cancelled":
            raise QgsProcessingException("cancelled")
        if job["state"] != "done":
            raise QgsProcessingException(f"{kind} failed: {job.get('message')}")
        return job["result"]
