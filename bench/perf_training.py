"""Training reads: seconds per epoch after the first with the tile cache (the default) and without it.

Fine-tuning from scratch through the real CLI on the 1 km² benchmark scene, as users start it. An epoch's time is
taken from the difference of two runs (E epochs and 1 epoch) so start-up, the scene's statistics and the first
epoch's reads (the same in both cases) cancel out: what is left is what every later epoch costs. Two cases: `tiny`
with all three modalities (the demo's model; aerial at 1 m read from the 0.2 m image) and `base` with S2 only (a
series-only model is fast enough for reading to matter). Interleaved rounds, medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.perf_classify import HOME, REPO, inputs, scene, user_env

EPOCHS = int(os.environ.get("OMNISAT_BENCH_TRAINING_EPOCHS", "6"))
CASES = {"tiny aerial+s1+s2": ("tiny", ["aerial", "s1", "s2"]), "base s2": ("base", ["s2"])}


def finetune_seconds(size: str, modalities: list[str], epochs: int, cache: bool) -> float:
    """Wall seconds of one `python -m runner finetune` from scratch (the runner picks its allocator itself)."""
    scene_dir = scene(1)
    cmd = [sys.executable, "-m", "runner", "finetune", "--home", str(HOME), "--device", "cpu", "--size", size,
           "--labels", str(scene_dir / "labels.gpkg"), "--class-field", "class_name", "--epochs", str(epochs),
           "--out-model", "bench-training-reads", "--overwrite", "--quiet", *inputs(scene_dir, modalities)]
    env = user_env()
    if not cache:
        env["OMNISAT_TILE_CACHE_GB"] = "0"
    with tempfile.TemporaryFile("w+") as fe:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=fe, env=env)  # nosec B603
        wall = time.perf_counter() - t0
        fe.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"finetune {size} {modalities} failed: {fe.read()[-2000:]}")
    return wall


def training_reads(rounds: int = 2, epochs: int = EPOCHS) -> dict[str, Any]:
    HOME.mkdir(parents=True, exist_ok=True)
    runs: dict[str, dict[str, list[float]]] = {c: {"cache": [], "no_cache": []} for c in CASES}
    for k in range(rounds):
        for case, (size, mods) in CASES.items():
            for cache in (True, False):
                one = finetune_seconds(size, mods, 1, cache)
                many = finetune_seconds(size, mods, epochs, cache)
                per_epoch = (many - one) / (epochs - 1)
                runs[case]["cache" if cache else "no_cache"].append(per_epoch)
                print(f"round {k + 1}/{rounds}: {case} {'with' if cache else 'without'} the tile cache: "
                      f"{per_epoch:.2f} s per later epoch ({one:.1f} s for 1 epoch, {many:.1f} s for {epochs})",
                      flush=True)
    out: dict[str, Any] = {"epochs": epochs, "rounds": rounds, "scene_km2": 1.0, "cases": {}}
    for case, r in runs.items():
        cached, uncached = statistics.median(r["cache"]), statistics.median(r["no_cache"])
        out["cases"][case] = {"seconds_per_epoch_cache": round(cached, 2), "seconds_per_epoch_no_cache":
                              round(uncached, 2), "speedup": round(uncached / cached, 2), "runs": r}
        print(f"{case}: {uncached:.2f} → {cached:.2f} s per later epoch ({uncached / cached:.2f}×)", flush=True)
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(training_reads(), indent=1))
