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
