"""The dock in the analyst's language: French and German catalogues, loaded for QGIS's locale; every string the
plugin passes to tr() is translated in both, the compiled .qm files match their sources, and no widget text in the
GUI code bypasses tr()."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsSettings

from omnisat_qgis import i18n
from tests.plugin.conftest import REPO
from tools.translations import LANGUAGES, read_ts, source_strings

EXPECTED = {
    "fr": {"tabs": ["Imagerie", "Entraîner", "Classer", "Exporter"], "connect": "Connecter le runner",
           "status": "Runner : non connecté", "classify": "Classer", "cancel": "Annuler", "date": "date"},
    "de": {"tabs": ["Bilddaten", "Trainieren", "Klassifizieren", "Exportieren"], "connect": "Runner verbinden",
           "status": "Runner: nicht verbunden", "classify": "Klassifizieren", "cancel": "Abbrechen", "date": "Datum"},
    "en": {"tabs": ["Imagery", "Train", "Classify", "Export"], "connect": "Connect runner",
           "status": "Runner: not connected", "classify": "Classify", "cancel": "Cancel", "date": "date"},
}


@pytest.fixture
def locale_setting():
    s = QgsSettings()
    saved = {k: s.value(k) for k in ("locale/overrideFlag", "locale/userLocale")}
    yield s
    for key, value in saved.items():
        if value is None:
            s.remove(key)
        else:
            s.setValue(key, value)
    i18n.remove()


@pytest.mark.parametrize("locale", ["fr_FR", "de_DE", "en_GB"])
def test_the_dock_speaks_the_language_qgis_is_set_to(qgis_iface, qgis_app, locale_setting, monkeypatch,
                                                     tmp_path: Path, locale: str) -> None:
    import sys

    from omnisat_qgis import runner_manager
    from omnisat_qgis.gui.dock import OmniSatDock

    monkeypatch.setattr(runner_manager, "_MANAGER", runner_manager.RunnerManager(python=sys.executable,
                                                                                 home=tmp_path / "h"))
    locale_setting.setValue("locale/overrideFlag", True)
    locale_setting.setValue("locale/userLocale", locale)
    lang = locale[:2]
    assert i18n.qgis_language() == lang
    loaded = i18n.install()  # what the plugin does when QGIS loads it
    assert (loaded is None) == (lang == "en")
    dock = OmniSatDock(qgis_iface)
    want = EXPECTED[lang]
    assert [dock.tabs.tabText(i) for i in range(dock.tabs.count())] == want["tabs"]
    assert dock.connect_button.text() == want["connect"]
    assert dock.status.text().startswith(want["status"]), dock.status.text()
    assert dock.classify_job.button.text() == want["classify"]
    assert dock.classify_job.cancel_button.text() == want["cancel"]
    assert dock.s2.horizontalHeaderItem(2).text() == want["date"]
    dock.deleteLater()


def test_every_tr_string_is_translated_in_french_and_german() -> None:
    strings = source_strings()
    assert len(strings) > 100
    for lang in LANGUAGES:
        known = read_ts(REPO / "omnisat_qgis" / "i18n" / f"omnisat_{lang}.ts")
        missing = [s for s in strings if not known.get(s)]
        assert not missing, f"{lang}: untranslated (run python -m tools.translations update): {missing[:5]}"
        wrong = [s for s in strings if set(re.findall(r"\{[^}]*\}", s)) != set(re.findall(r"\{[^}]*\}", known[s]))]
        assert not wrong, f"{lang}: placeholders differ in {wrong[:3]}"


@pytest.mark.skipif(not shutil.which("lrelease"), reason="lrelease (qttools5-dev-tools) is not installed")
def test_compiled_catalogues_match_their_sources(tmp_path: Path) -> None:
    for lang in LANGUAGES:
        folder = REPO / "omnisat_qgis" / "i18n"
        out = tmp_path / f"{lang}.qm"
        subprocess.run(["lrelease", "-silent", str(folder / f"omnisat_{lang}.ts"), "-qm", str(out)], check=True)
        assert out.read_bytes() == (folder / f"omnisat_{lang}.qm").read_bytes(), \
            f"omnisat_{lang}.qm is stale: run python -m tools.translations compile"


WIDGET_TEXT = re.compile(r"\b(QPushButton|QLabel|QGroupBox|QCheckBox|QAction|wrapped|setText|setTitle|setWindowTitle|"
                         r"setToolTip|setPlaceholderText|addRow|addTab|addItem|pushMessage|setPlainText|setHtml|"
                         r"JobControls)\(\s*(?:[^,()]*,\s*)?f?[\"'][^\"']*[A-Za-z]{2}")


def test_gui_code_passes_every_widget_text_through_tr() -> None:
    allowed = ('pushMessage(title', "addItems([")
    bad = []
    for path in sorted((REPO / "omnisat_qgis" / "gui").glob("*.py")) + [REPO / "omnisat_qgis" / "plugin.py"]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = WIDGET_TEXT.search(line.replace('pushMessage("OmniSat", ', "pushMessage("))  # the title: a name
            if m and not any(a in line for a in allowed):
                bad.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not bad, "user-facing text without tr():\n" + "\n".join(bad)


def test_the_catalogue_follows_qgis_when_no_language_is_forced(qgis_app, locale_setting) -> None:
    locale_setting.setValue("locale/overrideFlag", True)
    locale_setting.setValue("locale/userLocale", "de_AT")
    assert i18n.install().endswith("omnisat_de.qm")
    assert QgsApplication.translate("OmniSat", "Classify") == "Klassifizieren"
    i18n.remove()
    assert QgsApplication.translate("OmniSat", "Classify") == "Classify"
