"""The runner's packages form layers and every import runs forward (to a lower layer), found by reading the
sources (AST), imports inside functions included: an import moved into a function to dodge a cycle is still an
edge that runs backwards.

From the bottom up: errors and the version; config, specs and other leaf modules; the geodata pipeline, the model
and the torchrun helpers; jobs; training; the model store; the operations; then the three ways in (HTTP API,
server, command line). A new package or top-level module must be given a layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# lowest first; a unit is a subpackage of runner/ or a top-level module (runner/__init__.py is "runner").
# Units in the same layer are peers and must not import each other either.
LAYERS: list[set[str]] = [
    {"errors"},
    {"runner"},
    {"modalities"},
    {"config", "specs", "uploads", "allocator"},
    {"geo"},
    {"model"},
    {"distributed"},
    {"jobs"},
    {"train"},
    {"model_store"},
    {"ops"},
    {"api"},
    {"server"},
    {"cli"},
    {"__main__"},
]

# Module cycles inside a package that another change removes (issue 23, item 2: the LTAE's fast path moves out of
# the model files). The test fails once a cycle listed here is gone, so the entry is deleted with the fix.
KNOWN_CYCLES: list[set[str]] = []


def runner_modules(package: Path) -> dict[str, Path]:
    """Dotted module name → file, for every .py under `package` (a package's __init__ is the package)."""
    out = {}
    for f in sorted(package.rglob("*.py")):
        parts = list(f.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def import_edges(package: Path) -> dict[str, list[tuple[int, str]]]:
    """module → [(line, imported module of the same package)], each import resolved to the longest module that
    exists (`from runner import distributed` is the package runner.distributed, `from runner import __version__`
    is runner itself)."""
    mods = runner_modules(package)
    top = package.name

    def resolve(name: str) -> str:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name

    edges: dict[str, list[tuple[int, str]]] = {}
    for mod, path in mods.items():
        found: list[tuple[int, str]] = []
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found += [(node.lineno, resolve(a.name)) for a in node.names if a.name.split(".")[0] == top]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: from the module's package, up level-1 packages
                    base = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
                    base = base[:len(base) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                if module.split(".")[0] != top:
                    continue
                for a in node.names:
                    full = f"{module}.{a.name}"
                    found.append((node.lineno, full if full in mods else resolve(module)))
        edges[mod] = list(dict.fromkeys((line, target) for line, target in found if target and target != mod))
    return edges


def unit_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def backward_imports(package: Path, layers: list[set[str]]) -> list[str]:
    """`file:line unit → unit` for each import that does not go to a strictly lower layer (or within its unit)."""
    layer = {u: i for i, units in enumerate(layers) for u in units}
    mods = runner_modules(package)
    bad = []
    for mod, targets in import_edges(package).items():
        src = unit_of(mod)
        for line, target in targets:
            dst = unit_of(target)
            if dst != src and layer.get(dst, len(layers)) >= layer.get(src, -1):
                bad.append(f"{mods[mod].relative_to(package.parent)}:{line} {src} → {dst} ({target})")
    return bad


def module_cycles(package: Path) -> list[set[str]]:
    """Strongly connected sets of more than one module (Tarjan's algorithm)."""
    edges = {m: sorted({t for _, t in ts}) for m, ts in import_edges(package).items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(comp)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return cycles


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "runner"


def test_the_analysis_sees_imports_inside_functions_relative_ones_and_cycles(tmp_path: Path) -> None:
    pkg = _write(tmp_path, {
        "runner/__init__.py": "__version__ = '1'\n",
        "runner/errors.py": "",
        "runner/ops/__init__.py": "",
        "runner/ops/common.py": "from runner.errors import x\nfrom runner import __version__\n",
        "runner/ops/pretrain.py": "from runner.dist.train import f\nfrom . import common\n",
        "runner/dist/__init__.py": "",
        "runner/dist/train.py": "def f():\n    from runner.ops.common import g\n",
    })
    assert import_edges(pkg)["runner.ops.pretrain"] == [(1, "runner.dist.train"), (2, "runner.ops.common")]
    layers = [{"errors"}, {"runner"}, {"dist"}, {"ops"}]
    assert backward_imports(pkg, layers) == ["runner/dist/train.py:2 dist → ops (runner.ops.common)"]
    assert module_cycles(pkg) == []  # ops.pretrain → dist.train → ops.common: a backward edge, not a cycle
    (pkg / "ops" / "common.py").write_text("from runner.dist import train\n")
    assert module_cycles(pkg) == [{"runner.ops.common", "runner.dist.train"}]
    assert backward_imports(pkg, [{"errors"}, {"runner"}, {"ops"}, {"dist"}]) == [
        "runner/ops/common.py:1 ops → dist (runner.dist.train)",
        "runner/ops/pretrain.py:1 ops → dist (runner.dist.train)"]


def test_every_runner_unit_has_a_layer() -> None:
    units = {unit_of(m) for m in runner_modules(ROOT / "runner")}
    placed = set().union(*LAYERS)
    assert units - placed == set(), f"give these runner packages/modules a layer in {Path(__file__).name}"
    assert placed - units == set(), "layers name units that no longer exist"


def test_imports_between_runner_packages_run_forward_only() -> None:
    bad = backward_imports(ROOT / "runner", LAYERS)
    assert not bad, "imports that run backwards (to a peer or a higher layer):\n" + "\n".join(bad)


def test_no_import_cycle_between_runner_modules() -> None:
    cycles = module_cycles(ROOT / "runner")
    new = [sorted(c) for c in cycles if c not in KNOWN_CYCLES]
    assert not new, f"import cycles: {new}"
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in cycles]
    assert not gone, f"these cycles are gone: remove them from KNOWN_CYCLES in {Path(__file__).name}: {gone}"
