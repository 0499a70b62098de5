"""Architecture guardrails: the plugin runs in a stock QGIS Python, the runner in its own venv.

The plugin may import only the standard library, qgis (and qgis.PyQt), osgeo, numpy and QGIS's `processing`;
the runner must never import qgis, PyQt or osgeo (its venv on a user's machine has none of them).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_ALLOWED = {"qgis", "osgeo", "numpy", "processing", "omnisat_qgis"}
RUNNER_FORBIDDEN = {"qgis", "PyQt5", "PyQt6", "sip", "osgeo", "processing", "omnisat_qgis"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def test_imported_modules_sees_nested_and_from_imports(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text("import os\nfrom torch.nn import Linear\ndef f():\n    import rasterio.warp\nfrom . import x\n")
    assert imported_modules(src) == [(1, "os"), (2, "torch"), (4, "rasterio")]


def test_plugin_imports_only_what_a_stock_qgis_python_has() -> None:
    files = sorted((ROOT / "omnisat_qgis").rglob("*.py"))
    if not files:
        pytest.skip("omnisat_qgis/ has no sources yet")
    allowed = PLUGIN_ALLOWED | set(sys.stdlib_module_names)
    bad = [f"{f.relative_to(ROOT)}:{line} imports {mod}" for f in files for line, mod in imported_modules(f)
           if mod not in allowed]
    assert not bad, "the plugin imports packages a stock QGIS Python lacks:\n" + "\n".join(bad)


def test_runner_never_imports_qgis() -> None:
    files = sorted((ROOT / "runner").rglob("*.py"))
    assert files, "runner/ has no sources"
    bad = [f"{f.relative_to(ROOT)}:{line} imports {mod}" for f in files for line, mod in imported_modules(f)
           if mod in RUNNER_FORBIDDEN]
    assert not bad, "the runner imports QGIS-side packages:\n" + "\n".join(bad)


def _band_list_literals(path: Path) -> list[tuple[int, list[str]]]:
    """List, tuple and set literals of two or more strings that name bands of one modality of the registry."""
    from runner import modalities

    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            continue
        values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if len(values) < 2:
            continue
        for key in modalities.MODALITIES:
            names = set(modalities.band_names(key))
            hits = [v for v in values if modalities.canonical_band(v, key) in names and
                    (key != "aerial" or v.upper() in names)]
            if len(hits) >= (3 if key == "aerial" else 2):
                found.append((node.lineno, values))
                break
    return found


def test_band_list_literals_are_found(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text('A = ("B02", "B03", "B04")\nB = ["VV", "VH"]\nC = ("R", "G", "B", "NIR")\nD = ("s1", "s2")\n'
                   'E = ("B2",)\n')
    assert [line for line, _ in _band_list_literals(src)] == [1, 2, 3]


def test_no_band_list_is_declared_outside_the_registry() -> None:
    """Band order, aliases and groups live in runner/modalities.py only (issue 23): a second list drifts."""
    registry = ROOT / "runner" / "modalities.py"
    files = [f for d in ("runner", "omnisat_qgis") for f in sorted((ROOT / d).rglob("*.py")) if f != registry]
    bad = [f"{f.relative_to(ROOT)}:{line} declares {values}" for f in files for line, values in _band_list_literals(f)]
    assert not bad, "band lists declared outside runner/modalities.py:\n" + "\n".join(bad)
