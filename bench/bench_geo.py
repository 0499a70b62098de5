"""Reading speed and memory of the geodata pipeline: patches read per second and peak RSS for 1 km² and 4 km²
synthetic scenes (aerial 0.2 m → 50×50 px per patch, S1 and S2 with 24 dates), each in a fresh process.
Peak RSS must not grow with the area."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"

PROBE = r"""
import json, resource, sys, time
from runner.geo import expand_series, open_scene
d = sys.argv[1]
scene = open_scene(d + "/aerial.tif", expand_series([d + "/s1"], "s1"), expand_series([d + "/s2"], "s2"), aerial_px=50)
scene.norm = scene.compute_norm(max_tiles=8)
tiles = scene.tiles(stride=4)
t0 = time.perf_counter()
patches = 0
for batch in scene.iter_batches(tiles, 8):
    patches += len(batch["tiles"]) * 36
dt = time.perf_counter() - t0
print(json.dumps({"patches": patches, "seconds": dt, "patches_per_s": patches / dt,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "grid": [scene.grid.n_rows, scene.grid.n_cols]}))
"""


def scene_for(size_km: float) -> Path:
    from runner.geo.scene import SCENE_VERSION, make_scene

    path = OUT / f"scene-{size_km:g}km-v{SCENE_VERSION}"
    if not (path / "scene.json").exists():
        make_scene(path, size_km=size_km, seed=0)
    return path


def run() -> dict:
    results = {}
    for size in (1.0, 2.0):
        d = scene_for(size)
        r = subprocess.run([sys.executable, "-c", PROBE, str(d)], cwd=REPO, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(r.stderr[-2000:])
        m = json.loads(r.stdout.strip().splitlines()[-1])
        results[f"{size * size:g}km2"] = {k: round(v, 2) if isinstance(v, float) else v for k, v in m.items()}
        print(f"{size * size:g} km²: {m['patches_per_s']:.0f} patches/s, peak RSS {m['peak_rss_mb']:.0f} MB")
    a, b = results["1km2"]["peak_rss_mb"], results["4km2"]["peak_rss_mb"]
    results["peak_rss_ratio_4_to_1"] = round(b / a, 3)
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
