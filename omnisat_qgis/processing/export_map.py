"""Export map: polygons with hectares and confidence, per-class area report (CSV, HTML), PDF and PNG map."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingOutputFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from omnisat_qgis.processing.base import tr


class ExportMapAlgorithm(QgsProcessingAlgorithm):
    def name(self) -> str:
        return "export_map"

    def displayName(self) -> str:
        return tr("Export map for foresters")

    def group(self) -> str:
        return tr("OmniSat")

    def groupId(self) -> str:
        return "omnisat"

    def createInstance(self):
        return ExportMapAlgorithm()

    def shortHelpString(self) -> str:
        return tr("From an OmniSat class map: a GeoPackage of class polygons (class, area_ha, mean_confidence; "
                  "patches smaller than two cells merged), a per-class area table in hectares and percent (CSV and "
                  "HTML), and a printable A4 map (PDF and PNG) with title, legend, scale bar, north arrow, CRS, date "
                  "and model name.")

    def initAlgorithm(self, config=None) -> None:
        self.addParameter(QgsProcessingParameterRasterLayer("CLASS_MAP", tr("Class map")))
        self.addParameter(QgsProcessingParameterRasterLayer("CONFIDENCE", tr("Confidence raster"), optional=True))
        self.addParameter(QgsProcessingParameterString("TITLE", tr("Map title"), "Land cover"))
        self.addParameter(QgsProcessingParameterString("MODEL_NAME", tr("Model name (printed on the map)"), "",
                                                       optional=True))
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT_FOLDER", tr("Output folder")))
        for key, label in (("POLYGONS", tr("Polygons")), ("AREAS_CSV", tr("Area table (CSV)")),
                           ("AREAS_HTML", tr("Area report (HTML)")), ("PDF", tr("Map (PDF)")),
                           ("PNG", tr("Map (PNG)"))):
            self.addOutput(QgsProcessingOutputFile(key, label))

    def flags(self):
        # the print layout renders with the GUI's fonts: run in the main thread
        return super().flags() | QgsProcessingAlgorithm.Flag.FlagNoThreading

    def processAlgorithm(self, parameters, context, feedback):
        from qgis.core import QgsRasterLayer

        from omnisat_qgis.export import export_paths, export_tables, print_map

        class_map = self.parameterAsRasterLayer(parameters, "CLASS_MAP", context)
        conf = self.parameterAsRasterLayer(parameters, "CONFIDENCE", context)
        folder = self.parameterAsString(parameters, "OUTPUT_FOLDER", context)
        title = self.parameterAsString(parameters, "TITLE", context)
        model = self.parameterAsString(parameters, "MODEL_NAME", context) or "OmniSat"
        paths = export_paths(class_map.source(), folder)
        feedback.setProgress(5)  # steps reported as they end, so the dialog does not sit at 0 % until done
        export_tables(class_map.source(), conf.source() if conf else None, paths, title, model)
        feedback.pushInfo(f"polygons: {paths['polygons']}\narea table: {paths['areas_csv']}, {paths['areas_html']}")
        feedback.setProgress(60)
        print_map(QgsRasterLayer(class_map.source(), "Classes"), paths["pdf"], paths["png"], title, model)
        feedback.pushInfo(f"map: {paths['pdf']}, {paths['png']}")
        feedback.setProgress(100)
        return {"POLYGONS": paths["polygons"], "AREAS_CSV": paths["areas_csv"], "AREAS_HTML": paths["areas_html"],
                "PDF": paths["pdf"], "PNG": paths["png"], "OUTPUT_FOLDER": folder}
