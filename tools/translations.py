"""Translations of the plugin: extract every `tr("…")` string into Qt Linguist sources and compile them.

    python -m tools.translations update     # omnisat_qgis/i18n/omnisat_{fr,de}.ts: new strings added (unfinished),
                                            # strings no longer in the code marked obsolete, translations kept
    python -m tools.translations compile    # .ts → .qm with Qt's lrelease (Debian: qttools5-dev-tools)

Why our own extractor: pylupdate does not know our `tr()` helper (one context, "OmniSat", shared by the dock and
the Processing algorithms); the AST finds exactly the literal strings passed to it.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess  # nosec B404 - lrelease with fixed arguments
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "omnisat_qgis"
FOLDER = PLUGIN / "i18n"
CONTEXT = "OmniSat"
LANGUAGES = {"fr": "fr_FR", "de": "de_DE"}


def source_strings(root: Path = PLUGIN) -> dict[str, str]:
    """Every literal first argument of a call to `tr(...)` → "file:line" of its first use."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "tr" \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.setdefault(node.args[0].value, f"{path.relative_to(REPO).as_posix()}:{node.lineno}")
    return found


def read_ts(path: Path) -> dict[str, str]:
    """source → translation (finished or not) from a .ts file."""
    if not path.exists():
        return {}
    out = {}
    for message in ET.parse(path).getroot().iter("message"):
        source = message.findtext("source")
        translation = message.find("translation")
        if source is not None and translation is not None and translation.text:
            out[source] = translation.text
    return out


def write_ts(path: Path, language: str, strings: dict[str, str], translations: dict[str, str]) -> None:
    ts = ET.Element("TS", version="2.1", language=language)
    context = ET.SubElement(ts, "context")
    ET.SubElement(context, "name").text = CONTEXT
    for source, where in sorted(strings.items(), key=lambda kv: kv[1]):
        message = ET.SubElement(context, "message")
        file, line = where.rsplit(":", 1)
        ET.SubElement(message, "location", filename="../../" + file, line=line)
        ET.SubElement(message, "source").text = source
        translation = ET.SubElement(message, "translation")
        if translations.get(source):
            translation.text = translations[source]
        else:
            translation.set("type", "unfinished")
    ET.indent(ts)
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' +
                    ET.tostring(ts, encoding="unicode") + "\n", encoding="utf-8")


def update(translations: dict[str, dict[str, str]] | None = None) -> dict[str, list[str]]:
    """Rewrite the .ts files from the code; returns the untranslated strings per language."""
    strings = source_strings()
    missing = {}
    for lang, code in LANGUAGES.items():
        path = FOLDER / f"omnisat_{lang}.ts"
        known = {**read_ts(path), **((translations or {}).get(lang) or {})}
        write_ts(path, code, strings, known)
        missing[lang] = [s for s in strings if not known.get(s)]
    return missing


def compile_all() -> list[Path]:
    lrelease = shutil.which("lrelease") or shutil.which("lrelease-qt5")
    if lrelease is None:
        raise SystemExit("lrelease not found: install Qt's linguist tools (Debian: qttools5-dev-tools)")
    out = []
    for lang in LANGUAGES:
        ts, qm = FOLDER / f"omnisat_{lang}.ts", FOLDER / f"omnisat_{lang}.qm"
        subprocess.run([lrelease, "-silent", str(ts), "-qm", str(qm)], check=True)  # nosec B603
        out.append(qm)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=["update", "compile"])
    args = p.parse_args()
    if args.action == "update":
        for lang, strings in update().items():
            print(f"{lang}: {len(strings)} untranslated")
    else:
        for qm in compile_all():
            print(f"wrote {qm}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
