"""Styles for results on screen: the class map as a paletted layer (names and colours from the model), confidence
as a gradient.

The `.qml` files beside the GeoTIFFs have one writer, the runner (runner/geo/qml.py): it writes them for every
map however it was made (command line, HTTP API, torchrun, a remote runner whose files the plugin downloads), with
no QGIS needed, and QGIS loads them as the layers' default style. The plugin only styles layers in memory and
never rewrites those files, so the style a map carries does not depend on whether QGIS opened it.
"""

from __future__ import annotations

import json
from typing import Any

from qgis.core import (
    QgsColorRampLegendNodeSettings,
    QgsColorRampShader,
    QgsPalettedRasterRenderer,
    QgsRasterLayer,
    QgsRasterShader,
    QgsSingleBandPseudoColorRenderer,
)
from qgis.PyQt.QtGui import QColor

from omnisat_qgis.i18n import tr


def classes_from_raster(layer: QgsRasterLayer) -> list[dict[str, Any]]:
    """Classes stored in the class map itself (CLASS_NAMES metadata + colour table), for maps from elsewhere."""
    from osgeo import gdal

    ds = gdal.Open(layer.source())
    if ds is None:
        return []
    names = json.loads(ds.GetMetadataItem("CLASS_NAMES") or "{}")
    ct = ds.GetRasterBand(1).GetColorTable()
    out = []
    for value, name in sorted(names.items(), key=lambda kv: int(kv[0])):
        rgba = ct.GetColorEntry(int(value)) if ct is not None else (128, 128, 128, 255)
        out.append({"value": int(value), "name": name, "color": "#{:02x}{:02x}{:02x}".format(*rgba[:3])})
    return out


def style_class_map(layer: QgsRasterLayer, classes: list[dict[str, Any]] | None = None) -> None:
    """Paletted: one entry per class (value, colour, name), from `classes` or from the map's own metadata."""
    classes = classes or classes_from_raster(layer)
    entries = [QgsPalettedRasterRenderer.Class(int(c["value"]), QColor(c["color"]), f"{c['name']}") for c in classes]
    renderer = QgsPalettedRasterRenderer(layer.dataProvider(), 1, entries)
    layer.setRenderer(renderer)
    layer.triggerRepaint()


def style_confidence(layer: QgsRasterLayer) -> None:
    """Red (0, unsure) → yellow → green (1, confident)."""
    shader_fn = QgsColorRampShader(0.0, 1.0)
    shader_fn.setColorRampType(QgsColorRampShader.Type.Interpolated)
    shader_fn.setColorRampItemList([QgsColorRampShader.ColorRampItem(0.0, QColor("#d7191c"), tr("0 unsure")),
                                    QgsColorRampShader.ColorRampItem(0.5, QColor("#ffffbf"), "0.5"),
                                    QgsColorRampShader.ColorRampItem(1.0, QColor("#1a9641"), tr("1 confident"))])
    # why: an interpolated ramp's legend is a continuous bar labelled with the raw minimum and maximum (0 and 1)
    # unless told otherwise; the analyst should read what the ends mean
    legend = QgsColorRampLegendNodeSettings()
    legend.setMinimumLabel(tr("0 unsure"))
    legend.setMaximumLabel(tr("1 confident"))
    shader_fn.setLegendSettings(legend)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_fn)
    renderer = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, shader)
    renderer.setClassificationMin(0.0)
    renderer.setClassificationMax(1.0)
    layer.setRenderer(renderer)
    layer.triggerRepaint()
