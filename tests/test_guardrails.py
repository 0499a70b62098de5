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


# -- Qt6 / QGIS 4 readiness ----------------------------------------------------------------------------------------
# Names QGIS's Qt6 migration guide (and its pyqt5_to_pyqt6 script) lists as gone or moved in Qt6 / PyQt6: code that
# uses them loads in QGIS 3 and breaks in QGIS 4. Only omnisat_qgis/qtcompat.py may name them, behind a version check.
QT5_ONLY = {
    r"\.exec_\(": "exec_() → exec()",
    r"\.print_\(": "print_() → print()",
    r"\bQVariant\b": "QVariant types → QMetaType.Type (qtcompat.field_type for QgsField)",
    r"\bQRegExp\w*": "QRegExp → QRegularExpression",
    r"\bQDesktopWidget\b|\.desktop\(\)": "QDesktopWidget → QScreen",
    r"QtWidgets import[^\n]*\b(QAction|QActionGroup|QShortcut|QUndoCommand|QUndoStack)\b":
        "QAction/QActionGroup/QShortcut/QUndo* moved to QtGui (import via qtcompat)",
    r"\bQtWidgets\.(QAction|QActionGroup|QShortcut)\b": "moved to QtGui",
    r"fontMetrics\(\)\.width\(|QFontMetrics\w*\([^)]*\)\.width\(": "QFontMetrics.width → horizontalAdvance",
    r"\bQTextCodec\b|\bQStringRef\b|\bQStringList\b": "removed from Qt6",
    r"\bQtWebKit\w*|\bQGLWidget\b|\bQMatrix\b|\bQSound\b": "removed from Qt6",
    r"\.setMargin\(": "QLayout.setMargin → setContentsMargins",
    r"\bQt\.MidButton\b|\.delta\(\)": "Qt.MidButton / QWheelEvent.delta removed",
    r"\bfrom PyQt5\b|\bimport PyQt5\b": "import through qgis.PyQt",
    r"\bQtCore\.pyqtSignature\b|\bSIGNAL\(|\bSLOT\(": "old-style signals",
}
QT_COMPAT_MODULE = "omnisat_qgis/qtcompat.py"


def qt5_only_uses(path: Path) -> list[str]:
    import re

    text = path.read_text()
    found = []
    for pattern, why in QT5_ONLY.items():
        for m in re.finditer(pattern, text):
            line = text.count("\n", 0, m.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {m.group(0)!r} ({why})")
    return found


def test_qt5_only_scan_finds_what_it_should(tmp_path: Path) -> None:
    src = ROOT / "omnisat_qgis" / "_probe_tmp.py"
    try:
        src.write_text("from qgis.PyQt.QtWidgets import QAction, QLabel\nd.exec_()\nf = QVariant.String\n"
                       "w = self.fontMetrics().width('x')\n")
        assert len(qt5_only_uses(src)) == 4
    finally:
        src.unlink()


def test_plugin_uses_no_qt5_only_api() -> None:
    files = [f for f in sorted((ROOT / "omnisat_qgis").rglob("*.py")) if f.relative_to(ROOT).as_posix()
             != QT_COMPAT_MODULE]
    bad = [hit for f in files for hit in qt5_only_uses(f)]
    assert not bad, "Qt5-only API in the plugin (breaks in QGIS 4):\n" + "\n".join(bad)


def _unscoped_enums(path: Path, namespaces: dict) -> list[str]:
    """`Qt.AlignLeft`-style accesses: a class attribute that is an enum *value* (Qt6 wants `Qt.AlignmentFlag.…`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in namespaces:
            owner = namespaces[node.value.id]
            value = getattr(owner, node.attr, None)
            if value is None or isinstance(value, type) or callable(value) or isinstance(value, bool) \
                    or type(value) is owner:  # the owner is the enum itself: already scoped
                continue
            if isinstance(value, int) and type(value) is not int and type(value).__name__ != node.attr:
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr} → "
                           f"{node.value.id}.{type(value).__name__}.{node.attr}")
    return bad


def test_unscoped_enum_scan_finds_what_it_should(tmp_path: Path) -> None:
    pytest.importorskip("qgis.core")
    from qgis.core import QgsTask
    from qgis.PyQt.QtCore import Qt

    src = ROOT / "omnisat_qgis" / "_probe_enum_tmp.py"
    try:
        src.write_text("a = Qt.AlignLeft\nb = Qt.AlignmentFlag.AlignLeft\nc = QgsTask.CanCancel\nd = Qt.red\n")
        hits = _unscoped_enums(src, {"Qt": Qt, "QgsTask": QgsTask})
        assert [h.split(": ")[1].split(" ")[0] for h in hits] == ["Qt.AlignLeft", "QgsTask.CanCancel", "Qt.red"]
    finally:
        src.unlink()


def test_plugin_uses_scoped_enums_only() -> None:
    """Every enum value is reached through its enum (Qt.AlignmentFlag.AlignLeft, QgsTask.Flag.CanCancel)."""
    pytest.importorskip("qgis.core")
    import importlib

    files = sorted((ROOT / "omnisat_qgis").rglob("*.py"))
    bad = []
    for f in files:
        namespaces = {}
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "qgis":
                try:
                    module = importlib.import_module(node.module)
                except ImportError:
                    continue
                for alias in node.names:
                    obj = getattr(module, alias.name, None)
                    if isinstance(obj, type):
                        namespaces[alias.asname or alias.name] = obj
        bad += _unscoped_enums(f, namespaces)
    assert not bad, "unscoped enums (Qt6 needs the enum's name):\n" + "\n".join(bad)


def test_metadata_declares_qgis4_and_qt6() -> None:
    import configparser

    meta = configparser.ConfigParser()
    meta.read(ROOT / "omnisat_qgis" / "metadata.txt")
    general = meta["general"]
    assert general.get("supportsQt6", "").lower() in ("true", "yes")
    assert general["qgisMaximumVersion"].startswith("4.")


# Roots whose contents differ from one machine to the next: a test that reads data there passes on the author's
# machine and skips (or fails) everywhere else. Tests find data relative to the repository or use tmp_path.
MACHINE_ROOTS = ("/work/", "/home/", "/root/", "/tmp/", "/mnt/", "/media/", "/data/", "/srv/", "/scratch/",
                 "/Users/", "/shared/")
# calls that take a file-system path (the last attribute or name of the callee)
PATH_CALLS = {"Path", "PurePath", "PosixPath", "open", "glob", "iglob", "exists", "isdir", "isfile", "listdir",
              "scandir", "walk", "stat", "Open", "OpenEx", "read_text", "read_bytes"}


def absolute_data_paths(path: Path) -> list[tuple[int, str]]:
    """String literals under a machine-specific root that a test uses as a file-system path: an argument of a
    path-taking call, or a module-level constant (`DATA = "/work/..."`). Other literals (a fake HOME handed to
    an environment builder, URL paths) are inputs, not places the test reads."""
    tree = ast.parse(path.read_text(), filename=str(path))

    def machine_path(node: ast.AST) -> bool:
        return (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and node.value.startswith(MACHINE_ROOTS))

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in PATH_CALLS:
                found += [(a.lineno, a.value) for a in [*node.args, *(k.value for k in node.keywords)]
                          if machine_path(a)]
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and machine_path(node.value):
            found.append((node.lineno, node.value.value))
    return sorted(found)


def test_absolute_data_paths_sees_path_calls_and_module_constants(tmp_path: Path) -> None:
    src = tmp_path / "t.py"
    src.write_text('from pathlib import Path\nimport os\nTILE = Path("/work/shared/eodata/tile")\n'
                   'DATA: str = "/home/me/data"\nENV = {"HOME": "/home/ana"}\n'
                   'def test_x():\n    os.path.isdir("/tmp/scene")\n    open(file="/mnt/x.tif")\n'
                   '    redact("/home/ana/x")\n    Path("/usr/share/qgis")\n')
    assert absolute_data_paths(src) == [(3, "/work/shared/eodata/tile"), (4, "/home/me/data"),
                                        (7, "/tmp/scene"), (8, "/mnt/x.tif")]


def test_tests_find_data_relative_to_the_repository() -> None:
    files = sorted((ROOT / "tests").rglob("*.py"))
    bad = [f"{f.relative_to(ROOT)}:{line} reads {value!r}" for f in files for line, value in absolute_data_paths(f)]
    assert not bad, ("tests read data at absolute, machine-specific paths (find it relative to the repository, "
                     "e.g. Path(__file__).resolve().parents[N].parent / 'shared', or use tmp_path):\n"
                     + "\n".join(bad))


def test_processing_algorithms_build_job_specs_through_params() -> None:
    """omnisat_qgis/params.py is the one place a job spec is built (the dock uses it too): every `run_job` call in
    the Processing algorithms passes `<params>.spec()`, never a dict assembled by hand."""
    files = sorted((ROOT / "omnisat_qgis" / "processing").glob("*.py"))
    calls, bad = 0, []
    for f in files:
        for node in ast.walk(ast.parse(f.read_text(), filename=str(f))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run_job":
                calls += 1
                spec = node.args[1] if len(node.args) > 1 else None
                if not (isinstance(spec, ast.Call) and isinstance(spec.func, ast.Attribute)
                        and spec.func.attr == "spec"):
                    bad.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert calls >= 3, "expected the pretrain, finetune and classify algorithms to call run_job"
    assert not bad, "Processing builds a job spec by hand (use omnisat_qgis.params):\n" + "\n".join(bad)
