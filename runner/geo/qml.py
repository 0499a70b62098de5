"""QGIS layer styles (.qml) for the class map and the confidence raster, written as text (no qgis import)."""

from __future__ import annotations

from html import escape


def quoteattr(text: str) -> str:
    """An XML attribute value, quoted and escaped."""
    return '"' + escape(text, quote=True) + '"'


_HEAD = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.22.0\" " \
        "styleCategories=\"AllStyleCategories\">\n  <pipe>\n"
_TAIL = "    <brightnesscontrast brightness=\"0\" contrast=\"0\" gamma=\"1\"/>\n" \
        "    <huesaturation saturation=\"0\" grayscaleMode=\"0\" colorizeOn=\"0\"/>\n" \
        "    <rasterresampler maxOversampling=\"2\"/>\n  </pipe>\n  <blendMode>0</blendMode>\n</qgis>\n"


def class_map_qml(classes: list) -> str:
    """A paletted renderer: one entry per class (value, colour, name); 0 is nodata and so transparent."""
    entries = "".join(
        f"        <paletteEntry value=\"{c.value}\" color={quoteattr(c.color)} alpha=\"255\" "
        f"label={quoteattr(c.name)}/>\n" for c in classes)
    return (_HEAD + "    <rasterrenderer type=\"paletted\" band=\"1\" opacity=\"1\" alphaBand=\"-1\" "
            "nodataColor=\"\">\n      <rasterTransparency/>\n      <colorPalette>\n" + entries +
            "      </colorPalette>\n    </rasterrenderer>\n" + _TAIL)


def confidence_qml() -> str:
    """A red→yellow→green gradient from 0 (unsure) to 1 (confident)."""
    stops = [(0.0, "#d7191c"), (0.5, "#ffffbf"), (1.0, "#1a9641")]
    items = "".join(f"            <item value=\"{v}\" color=\"{c}\" alpha=\"255\" label=\"{v:g}\"/>\n"
                    for v, c in stops)
    return (_HEAD + "    <rasterrenderer type=\"singlebandpseudocolor\" band=\"1\" opacity=\"1\" alphaBand=\"-1\" "
            "classificationMin=\"0\" classificationMax=\"1\" nodataColor=\"\">\n      <rasterTransparency/>\n"
            "      <rastershader>\n        <colorrampshader colorRampType=\"INTERPOLATED\" classificationMode=\"1\" "
            "clip=\"0\" minimumValue=\"0\" maximumValue=\"1\">\n" + items +
            "        </colorrampshader>\n      </rastershader>\n    </rasterrenderer>\n" + _TAIL)
