"""Run the plugin's own export code (omnisat_qgis.export) in a headless QGIS: the demo's step 7."""

from __future__ import annotations

import os
import sys
from pathlib import Path

QGIS_PLUGINS = "/usr/share/qgis/python/plugins"  # QGIS's own Python plugins (processing) on Debian


def start_qgis():
    """A headless QgsApplication with Processing initialised; returns it (keep a reference)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if QGIS_PLUGINS not in sys.path:
        sys.path.append(QGIS_PLUGINS)
    from qgis.core import QgsApplication

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    return app


def run_exports(class_map: Path, confidence: Path, out_dir: Path, model_name: str) -> dict[str, str]:
    app = start_qgis()
    try:
        from omnisat_qgis.export import export_all

        paths = export_all(str(class_map), str(confidence) if confidence else None, str(out_dir),
                           title="OmniSat demo: land cover of the synthetic scene", model_name=model_name)
        return {k: str(v) for k, v in paths.items()}
    finally:
        app.exitQgis()
