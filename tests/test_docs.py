"""References in the code resolve inside the repository: every "quirk N" and "§N" a runner source cites is a row
of the quirk table or a numbered section of docs/model.md (not of a specification outside the repository)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_DOC = ROOT / "docs" / "model.md"


def cited(text: str) -> tuple[set[str], set[str]]:
    """(quirk numbers, § numbers) cited in `text`: "quirk 7", "quirks 2 and 4", "§13", "§8.3", "§12-1"."""
    quirks = set()
    for m in re.finditer(r"quirks? (\d+(?:(?:, | and | ?/ ?)\d+)*)", text):
        quirks |= set(re.findall(r"\d+", m.group(1)))
    sections = set(re.findall(r"§(\d+(?:\.\d+)?)", text))
    return quirks, sections


def documented() -> tuple[set[str], set[str]]:
    """Quirk rows (`| N | ...` in the §12 table) and section numbers (`## §N`, `- **§N.M ...`) of docs/model.md."""
    text = MODEL_DOC.read_text()
    quirks = set(re.findall(r"^\| (\d+) \|", text, flags=re.M))
    sections = set(re.findall(r"^#+ §(\d+(?:\.\d+)?)\b", text, flags=re.M))
    sections |= set(re.findall(r"^- \*\*§(\d+\.\d+)\b", text, flags=re.M))
    return quirks, sections


def test_cited_finds_quirks_and_sections() -> None:
    assert cited("x (quirks 2 and 4), y (quirk 7); §8.3 and §13, with §12-1") == ({"2", "4", "7"},
                                                                                  {"8.3", "13", "12"})


def test_every_quirk_and_section_the_runner_cites_is_in_docs_model_md() -> None:
    have_quirks, have_sections = documented()
    missing = []
    for path in sorted((ROOT / "runner").rglob("*.py")):
        quirks, sections = cited(path.read_text())
        missing += [f"{path.relative_to(ROOT)}: quirk {q}" for q in sorted(quirks - have_quirks)]
        missing += [f"{path.relative_to(ROOT)}: §{s}" for s in sorted(sections - have_sections)]
    assert not missing, "cited but not in docs/model.md:\n" + "\n".join(missing)
    assert "omnisat-model.md" not in (ROOT / "runner" / "model" / "__init__.py").read_text()
