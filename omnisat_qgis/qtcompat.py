"""The few places where QGIS 3.22 (Qt5) and QGIS 4 (Qt6) need different calls, kept here and nowhere else.

Why: QGIS < 3.38 takes field types as QVariant.Type, which Qt6 no longer has; from 3.38 (and in QGIS 4) QgsField
takes QMetaType.Type. tests/test_guardrails.py allows Qt5-only names in this module only.
"""

from __future__ import annotations

from qgis.core import Qgis, QgsField
from qgis.PyQt.QtCore import QMetaType

STRING = QMetaType.Type.QString


def field_type(meta: QMetaType.Type):
    """The type argument QgsField wants in this QGIS for a QMetaType type."""
    if Qgis.versionInt() >= 33800:
        return meta
    from qgis.PyQt.QtCore import QVariant  # QGIS < 3.38 (always Qt5): QgsField takes QVariant.Type

    return QVariant.Type(int(meta))


def layout_millimeters():
    """Millimetres for layout items: Qgis.LayoutUnit from QGIS 3.30 (QGIS 4 drops the QgsUnitTypes copy)."""
    if hasattr(Qgis, "LayoutUnit"):
        return Qgis.LayoutUnit.Millimeters
    from qgis.core import QgsUnitTypes

    return QgsUnitTypes.LayoutUnit.LayoutMillimeters


def layer_filter(name: str):
    """A layer combo box filter ("RasterLayer", "PolygonLayer"): Qgis.LayerFilter from QGIS 3.34, where the
    QgsMapLayerProxyModel.Filter copy became a deprecated alias."""
    if hasattr(Qgis, "LayerFilter"):
        return getattr(Qgis.LayerFilter, name)
    from qgis.core import QgsMapLayerProxyModel

    return getattr(QgsMapLayerProxyModel.Filter, name)


def polygon_wkb():
    """The Polygon geometry type: Qgis.WkbType from QGIS 3.30 (QgsWkbTypes.Type before)."""
    if hasattr(Qgis, "WkbType"):
        return Qgis.WkbType.Polygon
    from qgis.core import QgsWkbTypes

    return QgsWkbTypes.Type.Polygon


def string_field(name: str) -> QgsField:
    return QgsField(name, field_type(STRING))


def is_text(field: QgsField) -> bool:
    """A string field, whichever enum this QGIS reports field types in."""
    return int(field.type()) == int(STRING)


try:  # Qt6 (QGIS 4): QAction lives in QtGui
    from qgis.PyQt.QtGui import QAction
except ImportError:  # Qt5 (QGIS 3): in QtWidgets
    from qgis.PyQt.QtWidgets import QAction

__all__ = ["QAction", "STRING", "field_type", "is_text", "layer_filter", "layout_millimeters", "polygon_wkb",
           "string_field"]
