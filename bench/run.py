"""`make bench`: run each benchmark in a fresh process and collect its figures.

Usage: python -m bench.run all | model | geo | accuracy | perf ...
Every benchmark module exposes `run() -> dict`; its figures go to `bench/results.json` under its name (the
accuracy benchmark also writes `bench/accuracy.json`). Fresh processes keep one benchmark's allocator and thread
state from colouring the next.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = {"geo": "bench.bench_geo", "model": "bench.bench_model", "perf": "bench.bench_perf",
           "accuracy": "bench.bench_accuracy", "stac": "bench.bench_stac"}


def run_one(name: str) -> dict:
    module = BENCHES[name]
    if not (HERE / f"{module.split('.')[-1]}.py").exists():
        return {"skipped": f"{module} not present"}
    code = ("import json, sys; from importlib import import_module; "
            f"r = import_module({module!r}).run(); sys.stdout.write('\\n@@RESULT@@' + json.dumps(r))")
    t0 = time.time()
    # Each benchmark starts as the runner does (jemalloc keeping pages when installed): it measures what users get.
    from runner.allocator import jemalloc_env

    env = jemalloc_env() or dict(os.environ)
    proc = subprocess.run([sys.executable, "-c", code], cwd=HERE.parent, capture_output=True, text=True, env=env)
    sys.stderr.write(proc.stderr[-4000:])
    out, _, payload = proc.stdout.rpartition("@@RESULT@@")
    print(out)
    if proc.returncode != 0 or not payload:
        return {"error": f"exit {proc.returncode}", "stderr_tail": proc.stderr[-2000:]}
    result = json.loads(payload)
    result["wall_s"] = round(time.time() - t0, 1)
    return result


def main(argv: list[str]) -> int:
    names = list(BENCHES) if not argv or argv[0] == "all" else argv
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHES)} or all", file=sys.stderr)
        return 2
    path = HERE / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for name in names:
        print(f"=== benchmark: {name}", flush=True)
        results[name] = run_one(name)
        results[name]["when"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        path.write_text(json.dumps(results, indent=2))
        print(json.dumps(results[name], indent=2)[:3000], flush=True)
    print(f"figures written to {path}")
    failed = [n for n in names if "error" in results[n]]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
