"""Exports for foresters: polygons with hectares and mean confidence, a per-class area report, a printable map.

Everything is written to files next to each other (nothing only in memory): a GeoPackage, a CSV and an HTML table,
and a PDF plus PNG map laid out by QGIS (title, map, legend, scale bar, north arrow, CRS, date, model).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import os
from pathlib import Path
from typing import Any

import numpy as np
from osgeo import gdal, ogr, osr
from qgis.core import (
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLegendRenderer,
    QgsLegendStyle,
    QgsMapLayerLegendUtils,
    QgsPrintLayout,
    QgsProject,
    QgsRasterLayer,
    QgsUnitTypes,
)
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QFont

from omnisat_qgis.qtcompat import layout_millimeters
from omnisat_qgis.styling import classes_from_raster, style_class_map

gdal.UseExceptions()


def class_areas(class_map: str, classes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hectares and percent per class, counted block by block (bounded memory)."""
    ds = gdal.Open(class_map)
    band = ds.GetRasterBand(1)
    gt = ds.GetGeoTransform()
    pixel_ha = abs(gt[1] * gt[5]) / 1e4
    counts = np.zeros(256, dtype=np.int64)
    bw, bh = band.GetBlockSize()
    for y in range(0, ds.RasterYSize, max(bh, 256)):
        h = min(max(bh, 256), ds.RasterYSize - y)
        counts += np.bincount(band.ReadAsArray(0, y, ds.RasterXSize, h).ravel(), minlength=256)[:256]
    total = counts[1:].sum()
    return [{"value": c["value"], "name": c["name"], "color": c["color"], "hectares": round(counts[c["value"]] *
             pixel_ha, 4), "percent": round(100.0 * counts[c["value"]] / total, 2) if total else 0.0}
            for c in classes]


def write_area_report(areas: list[dict[str, Any]], csv_path: str, html_path: str, title: str, model_name: str) -> None:
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["class_value", "class_name", "area_ha", "percent"])
        for a in areas:
            w.writerow([a["value"], a["name"], f"{a['hectares']:.4f}", f"{a['percent']:.2f}"])
    total = sum(a["hectares"] for a in areas)
    rows = "".join(f"<tr><td><span style='background:{a['color']};display:inline-block;width:1em'>&nbsp;</span> "
                   f"{html.escape(a['name'])}</td><td>{a['hectares']:,.2f}</td><td>{a['percent']:.1f} %</td></tr>"
                   for a in areas)
    Path(html_path).write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif}td,th{padding:4px 10px;text-align:right}td:first-child{text-align:left}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Model: {html.escape(model_name)} · {dt.date.today().isoformat()}</p>"
        f"<table><tr><th>class</th><th>area (ha)</th><th>share</th></tr>{rows}"
        f"<tr><th>total</th><th>{total:,.2f}</th><th>100 %</th></tr></table></body></html>")


def polygons(class_map: str, confidence: str | None, classes: list[dict[str, Any]], gpkg: str,
             min_patches: int = 2) -> str:
    """Sieved class polygons in a GeoPackage with class, area_ha and mean confidence."""
    src = gdal.Open(class_map)
    mem = gdal.GetDriverByName("MEM").CreateCopy("", src)
    gdal.SieveFilter(mem.GetRasterBand(1), mem.GetRasterBand(1).GetMaskBand(), mem.GetRasterBand(1), min_patches, 4)
    if os.path.exists(gpkg):
        gdal.GetDriverByName("GPKG").Delete(gpkg)
    out = ogr.GetDriverByName("GPKG").CreateDataSource(gpkg)
    srs = osr.SpatialReference(wkt=src.GetProjection())
    layer = out.CreateLayer("classes", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("class_value", ogr.OFTInteger))
    gdal.Polygonize(mem.GetRasterBand(1), mem.GetRasterBand(1).GetMaskBand(), layer, 0)
    for name, kind in (("class", ogr.OFTString), ("area_ha", ogr.OFTReal), ("mean_confidence", ogr.OFTReal)):
        layer.CreateField(ogr.FieldDefn(name, kind))
    names = {c["value"]: c["name"] for c in classes}
    conf_ds = gdal.Open(confidence) if confidence else None
    gt = src.GetGeoTransform()
    class_arr = mem.GetRasterBand(1).ReadAsArray()
    conf_arr = conf_ds.GetRasterBand(1).ReadAsArray() if conf_ds else None
    layer.StartTransaction()
    for feat in layer:
        geom = feat.GetGeometryRef()
        feat.SetField("class", names.get(feat.GetField("class_value"), str(feat.GetField("class_value"))))
        feat.SetField("area_ha", round(geom.GetArea() / 1e4, 4))
        if conf_arr is not None:
            xmin, xmax, ymin, ymax = geom.GetEnvelope()
            c0, c1 = int((xmin - gt[0]) / gt[1]), int(np.ceil((xmax - gt[0]) / gt[1]))
            r0, r1 = int((ymax - gt[3]) / gt[5]), int(np.ceil((ymin - gt[3]) / gt[5]))
            sub_c = class_arr[r0:r1, c0:c1] == feat.GetField("class_value")
            vals = conf_arr[r0:r1, c0:c1][sub_c]
            vals = vals[vals >= 0]
            feat.SetField("mean_confidence", round(float(vals.mean()), 4) if vals.size else None)
        layer.SetFeature(feat)
    layer.CommitTransaction()
    out = None  # noqa: F841 - closes the GeoPackage
    return gpkg


def print_map(class_map_layer: QgsRasterLayer, pdf: str, png: str, title: str, model_name: str) -> tuple[str, str]:
    """A one-page A4 landscape map: title, map, legend, scale bar, north arrow, CRS, date, model."""
    project = QgsProject.instance()
    renderer = class_map_layer.renderer()
    if renderer is None or renderer.type() != "paletted":  # a map without its .qml: classes from the file itself
        style_class_map(class_map_layer, None)
    if not project.crs().isValid():  # a headless or empty project: distances and scale need a CRS and ellipsoid
        project.setCrs(class_map_layer.crs())
    if project.ellipsoid() in ("", "NONE"):
        project.setEllipsoid("WGS84")
    added = project.mapLayer(class_map_layer.id()) is None
    if added:  # a layout renders registered layers only
        project.addMapLayer(class_map_layer, False)
    try:
        return _print_map(project, class_map_layer, pdf, png, title, model_name)
    finally:
        if added:
            project.takeMapLayer(class_map_layer)


def _print_map(project: QgsProject, class_map_layer: QgsRasterLayer, pdf: str, png: str, title: str,
               model_name: str) -> tuple[str, str]:
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    layout.setName(title)
    mm = layout_millimeters()
    label = QgsLayoutItemLabel(layout)
    label.setText(title)
    label.setFont(QFont("Sans", 18))
    label.attemptMove(QgsLayoutPoint(10, 6, mm))
    label.attemptResize(QgsLayoutSize(277, 12, mm))
    layout.addLayoutItem(label)
    item = QgsLayoutItemMap(layout)
    layout.addLayoutItem(item)
    item.attemptMove(QgsLayoutPoint(10, 20, mm))
    item.attemptResize(QgsLayoutSize(200, 180, mm))
    item.setCrs(class_map_layer.crs())
    item.setLayers([class_map_layer])
    item.setExtent(_fit(class_map_layer.extent(), 200 / 180))
    item.setFrameEnabled(True)
    legend = QgsLayoutItemLegend(layout)
    legend.setTitle("Classes")
    legend.setLinkedMap(item)
    legend.setAutoUpdateModel(False)
    legend.model().rootGroup().clear()
    _legend_of_classes_only(legend, legend.model().rootGroup().addLayer(class_map_layer))
    legend.attemptMove(QgsLayoutPoint(215, 20, mm))
    layout.addLayoutItem(legend)
    bar = QgsLayoutItemScaleBar(layout)
    bar.setStyle("Single Box")
    bar.setLinkedMap(item)
    bar.setUnits(QgsUnitTypes.DistanceUnit.DistanceMeters)
    bar.setNumberOfSegments(4)
    bar.setNumberOfSegmentsLeft(0)
    bar.setUnitsPerSegment(max(1.0, round(class_map_layer.extent().width() / 10, -1)))
    bar.setUnitLabel("m")
    bar.attemptMove(QgsLayoutPoint(12, 186, mm))
    layout.addLayoutItem(bar)
    arrow = QgsLayoutItemPicture(layout)
    arrow.setPicturePath(":/images/north_arrows/layout_default_north_arrow.svg")
    arrow.attemptMove(QgsLayoutPoint(190, 24, mm))
    arrow.attemptResize(QgsLayoutSize(14, 18, mm))
    layout.addLayoutItem(arrow)
    info = QgsLayoutItemLabel(layout)
    info.setText(f"CRS: {class_map_layer.crs().authid() or class_map_layer.crs().description()}\n"
                 f"Date: {dt.date.today().isoformat()}\nModel: {model_name}\nMade with OmniSat for QGIS")
    info.setFont(QFont("Sans", 9))
    info.attemptMove(QgsLayoutPoint(215, 160, mm))
    info.attemptResize(QgsLayoutSize(75, 30, mm))
    layout.addLayoutItem(info)
    exporter = QgsLayoutExporter(layout)
    if exporter.exportToPdf(pdf, QgsLayoutExporter.PdfExportSettings()) != QgsLayoutExporter.ExportResult.Success:
        raise RuntimeError(f"could not write the PDF map {pdf}")
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = 150
    if exporter.exportToImage(png, settings) != QgsLayoutExporter.ExportResult.Success:
        raise RuntimeError(f"could not write the PNG map {png}")
    return pdf, png


def _legend_of_classes_only(legend: QgsLayoutItemLegend, node: Any) -> None:
    """The legend shows the classes, not the layer's name and the renderer's "Band 1: class (Palette)" line
    (foresters asked what "Band 1" means)."""
    QgsLegendRenderer.setNodeLegendStyle(node, QgsLegendStyle.Style.Hidden)
    renderer = node.layer().renderer() if node.layer() is not None else None
    names = {c.label for c in renderer.classes()} if hasattr(renderer, "classes") else set()
    nodes = legend.model().layerLegendNodes(node)
    keep = [i for i, n in enumerate(nodes) if str(n.data(Qt.ItemDataRole.DisplayRole)) in names]
    if keep:
        QgsMapLayerLegendUtils.setLegendNodeOrder(node, keep)
        legend.model().refreshLayerLegend(node)


def _fit(extent, aspect: float):
    """The extent grown to the map frame's width/height ratio, centred (so the map is not distorted)."""
    from qgis.core import QgsRectangle

    w, h = extent.width(), extent.height()
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    c = extent.center()
    return QgsRectangle(c.x() - w / 2, c.y() - h / 2, c.x() + w / 2, c.y() + h / 2)


def export_paths(class_map: str, out_dir: str) -> dict[str, str]:
    """Where each export of `class_map` goes in `out_dir` (named after the class map)."""
    out, stem = Path(out_dir), Path(class_map).stem
    return {"polygons": str(out / f"{stem}_polygons.gpkg"), "areas_csv": str(out / f"{stem}_areas.csv"),
            "areas_html": str(out / f"{stem}_areas.html"), "pdf": str(out / f"{stem}_map.pdf"),
            "png": str(out / f"{stem}_map.png")}


def export_tables(class_map: str, confidence: str | None, paths: dict[str, str], title: str,
                  model_name: str) -> list[dict[str, Any]]:
    """The polygons and the area report (GDAL and numpy only: safe on a worker thread); returns the classes."""
    Path(paths["polygons"]).parent.mkdir(parents=True, exist_ok=True)
    layer = QgsRasterLayer(class_map, "Classes")
    if not layer.isValid():
        raise RuntimeError(f"class map {class_map} cannot be opened")
    classes = classes_from_raster(layer)
    polygons(class_map, confidence, classes, paths["polygons"])
    write_area_report(class_areas(class_map, classes), paths["areas_csv"], paths["areas_html"], title, model_name)
    return classes


def export_all(class_map: str, confidence: str | None, out_dir: str, title: str, model_name: str) -> dict[str, str]:
    """Every export a forester asks for, from a class map written by the runner (names and colours inside it)."""
    paths = export_paths(class_map, out_dir)
    export_tables(class_map, confidence, paths, title, model_name)
    layer = QgsRasterLayer(class_map, "Classes")
    print_map(layer, paths["pdf"], paths["png"], title, model_name)
    return paths
