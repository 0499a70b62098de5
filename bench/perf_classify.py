"""Classify end to end at 1, 4 and 16 km²: the real runner CLI in a fresh process, as users start it.

Speed does not depend on the weights, so the model is a `base` classifier with random weights and a model card
made from the scene (norm statistics, bands, grid), saved in a benchmark runner home. Each run reports wall
seconds per km², where the time went (reading not hidden by the prefetcher, model, writing: from the job's own
timings) and peak RSS as the job reports it (its own VmHWM), so memory can be compared across extents: it must
not grow with the area. Precision is the runner's default (`amp=auto`: bf16 for `base` on CPUs with AMX or
AVX512-BF16), recorded per row.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
ROUNDS = int(os.environ.get("OMNISAT_BENCH_CLASSIFY_ROUNDS", "3"))
HOME = OUT / "perf-home"
CLASSES = [{"value": i + 1, "name": f"class {i + 1}", "color": c} for i, c in
           enumerate(["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"])]


def scene(side_km: float) -> Path:
    from runner.geo.scene import SCENE_VERSION, make_scene

    path = OUT / f"scene-{side_km:g}km-v{SCENE_VERSION}"
    if not (path / "scene.json").exists():
        print(f"making a {side_km:g} km × {side_km:g} km synthetic scene (aerial 0.2 m) in {path}", flush=True)
        make_scene(path, size_km=side_km, seed=0, aerial_res=0.2)
    return path


def inputs(path: Path, modalities: list[str]) -> list[str]:
    args: list[str] = []
    if "aerial" in modalities:
        args += ["--aerial", str(path / "aerial.tif")]
    for m in ("s1", "s2"):
        if m in modalities:
            args += [f"--{m}", str(path / m)]
    return args


def make_model(name: str, scene_dir: Path, modalities: list[str]) -> str:
    """A random-weight `base` classifier whose card matches the scene, saved once in the benchmark home."""
    import torch

    from runner import model_store as store
    from runner.geo import expand_series, open_scene
    from runner.model import OmniSatClassifier
    from runner.ops.common import base_card
    from runner.ops.model_glue import config_for_scene

    if (store.models_dir(HOME) / name).exists():
        return name
    series = {m: expand_series([str(scene_dir / m)], m) if m in modalities else [] for m in ("s1", "s2")}
    sc = open_scene(str(scene_dir / "aerial.tif") if "aerial" in modalities else None, series["s1"], series["s2"],
                    aerial_px=50)
    sc.norm = sc.compute_norm(max_tiles=8)
    cfg = config_for_scene("base", sc)
    torch.manual_seed(0)
    state = OmniSatClassifier(cfg, len(CLASSES)).state_dict()
    card = base_card(SimpleNamespace(max_dates=50), sc, name=name, kind="classifier", size="base", cfg=cfg,
                     base_model=None)
    card["classes"] = CLASSES
    card["metrics"] = {"note": "random weights: a speed benchmark model"}
    store.save_model(HOME, name, state, card, overwrite=True)
    return name


def user_env() -> dict[str, str]:
    """This environment without an allocator set up, so the runner started with it picks its own, as for users."""
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "MALLOC_CONF", "OMNISAT_ALLOCATOR_SET")}


def classify_once(model: str, scene_dir: Path, modalities: list[str], overlap: int = 0) -> dict[str, Any]:
    """One `python -m runner classify` as a user starts it (the runner picks its allocator itself)."""
    out = OUT / f"map-{model}-{scene_dir.name}.tif"
    cmd = [sys.executable, "-m", "runner", "classify", "--home", str(HOME), "--model", model, "--device", "cpu",
           "--overlap", str(overlap), "--out", str(out), "--quiet", *inputs(scene_dir, modalities)]
    env = user_env()
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=fo, stderr=fe, env=env)  # nosec B603 - our own CLI
        proc.wait()
        wall = time.perf_counter() - t0
        fo.seek(0)
        fe.seek(0)
        stdout, stderr = fo.read(), fe.read()
    if proc.returncode != 0:
        raise RuntimeError(f"classify {model} on {scene_dir.name} failed ({proc.returncode}): {stderr[-2000:]}")
    result = json.loads(stdout[stdout.index("{"):])
    # the job's own VmHWM: the child's ru_maxrss would include this (large) benchmark process's high-water mark,
    # which Linux hands to a vfork-started child across execve (see runner/ops/timing.py)
    return {"wall_s": wall, "peak_rss_mb": result["peak_rss_mb"], "result": result}


def row(side_km: float, run: dict[str, Any]) -> dict[str, Any]:
    area = side_km * side_km
    t = run["result"]["timings"]
    wall = run["wall_s"]
    return {"km2": area, "wall_s": round(wall, 1), "s_per_km2": round(wall / area, 1),
            "peak_rss_mb": round(run["peak_rss_mb"], 1), "batch_size": run["result"].get("batch_size"),
            "precision": run["result"].get("precision"),
            "read_fraction": round(t.get("read", 0) / wall, 3), "model_fraction": round(t.get("model", 0) / wall, 3),
            "write_fraction": round(t.get("write", 0) / wall, 3),
            "read_write_fraction": round((t.get("read", 0) + t.get("write", 0)) / wall, 3),
            "start_s": round(wall - t.get("total", 0), 1), "timings": t}


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median wall time, with the median and the range of peak RSS over all rounds."""
    by_wall = sorted(rows, key=lambda r: r["wall_s"])
    out = dict(by_wall[len(by_wall) // 2])
    rss = sorted(r["peak_rss_mb"] for r in rows)
    out.update(peak_rss_mb=rss[len(rss) // 2], peak_rss_range_mb=[rss[0], rss[-1]], rounds=len(rows))
    return out


def classify_scaling(sides: list[float], modalities: list[str], rounds: int = ROUNDS) -> dict[str, Any]:
    """Scaling over extents for `modalities` (interleaved rounds, medians), and seconds per km² for S2, S1+S2
    and all three at the first size.

    Rounds, because one job's peak memory varies by ±5 % from run to run (when the prefetching reader happens to
    hold its full queue during the model's largest allocation), and a longer job is likelier to hit that worst
    case: single runs biased the ratio of 16 km² to 1 km² upwards."""
    HOME.mkdir(parents=True, exist_ok=True)
    first = scene(sides[0])
    out: dict[str, Any] = {"overlap": 0, "aerial_resolution_m": 0.2, "scaling_modalities": modalities,
                           "rounds": rounds, "scaling": {}}
    model = make_model("bench-" + "-".join(modalities), first, modalities)
    runs: dict[float, list[dict[str, Any]]] = {side: [] for side in sides}
    for k in range(rounds):
        for side in sides:
            r = row(side, classify_once(model, scene(side), modalities))
            runs[side].append(r)
            print(f"round {k + 1}/{rounds}: classify {'+'.join(modalities)} {side * side:g} km²: {r['wall_s']} s "
                  f"({r['s_per_km2']} s/km²), peak RSS {r['peak_rss_mb']} MB, "
                  f"read+write {100 * r['read_write_fraction']:.0f} % of wall", flush=True)
    for side in sides:
        out["scaling"][f"{side * side:g}km2"] = median_row(runs[side])
    keys = list(out["scaling"])
    largest, smallest = out["scaling"][keys[-1]], out["scaling"][keys[0]]
    out["peak_rss_ratio_largest_to_smallest"] = round(largest["peak_rss_mb"] / smallest["peak_rss_mb"], 3)
    out["peak_rss_ratio_worst_to_worst"] = round(largest["peak_rss_range_mb"][1]
                                                 / smallest["peak_rss_range_mb"][1], 3)
    out["per_modalities"] = {}
    for mods in (["s2"], ["s1", "s2"], ["aerial", "s1", "s2"]):
        if mods == modalities:
            r = out["scaling"][keys[0]]
        else:
            r = row(sides[0], classify_once(make_model("bench-" + "-".join(mods), first, mods), first, mods))
        out["per_modalities"]["+".join(mods)] = r
        print(f"classify {'+'.join(mods)} {sides[0] ** 2:g} km²: {r['s_per_km2']} s/km²", flush=True)
    return out
