"""Translations: every user-facing string goes through `tr()` (one context, "OmniSat"); `install()` loads the
compiled catalogue (omnisat_<lang>.qm, built from the .ts sources here by tools/translations.py) for QGIS's locale.

Why one context: the Processing algorithms and the dock share many words, and one catalogue keeps them consistent.
"""

from __future__ import annotations

from pathlib import Path

from qgis.PyQt.QtCore import QCoreApplication, QTranslator

CONTEXT = "OmniSat"
FOLDER = Path(__file__).resolve().parent
_INSTALLED: list[QTranslator] = []


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def qgis_language() -> str:
    """The two-letter language QGIS runs in (its override setting if set, else the system's)."""
    from qgis.core import QgsApplication

    return (QgsApplication.locale() or "en")[:2]


def install(language: str | None = None) -> str | None:
    """Load the catalogue for `language` (default: QGIS's); returns the .qm path, or None for English/unknown."""
    remove()
    lang = (language or qgis_language())[:2]
    qm = FOLDER / f"omnisat_{lang}.qm"
    if lang == "en" or not qm.exists():
        return None
    translator = QTranslator()
    if not translator.load(str(qm)):
        return None
    QCoreApplication.installTranslator(translator)
    _INSTALLED.append(translator)
    return str(qm)


def remove() -> None:
    """Unload what `install` loaded (plugin unload, or a locale switch)."""
    while _INSTALLED:
        QCoreApplication.removeTranslator(_INSTALLED.pop())
