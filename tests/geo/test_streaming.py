"""A scene is read tile by tile: peak memory stays well below the size of the scene."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, resource, sys
from runner.geo import expand_series, open_scene
scene_dir, mode = sys.argv[1], sys.argv[2]
scene = open_scene(scene_dir + "/aerial.tif", expand_series([scene_dir + "/s1"], "s1"),
                   expand_series([scene_dir + "/s2"], "s2"), aerial_px=50)
scene.norm = scene.compute_norm(max_tiles=4)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tiles = scene.tiles()
tiles = tiles[: max(1, len(tiles) // 4)] if mode == "quarter" else tiles
patches = 0
for batch in scene.iter_batches(tiles, 4):
    patches += len(batch["tiles"]) * 36
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
g = scene.grid
full = g.n_rows * g.n_cols * (50 * 50 * 4 + 24 * 12) * 4   # every modality as float32 for the whole scene
print(json.dumps({"grew_kb": after - before, "peak_kb": after, "full_scene_kb": full // 1024, "patches": patches,
                  "grid": [g.n_rows, g.n_cols]}))
"""


def test_reading_a_scene_in_tiles_keeps_memory_well_below_its_size(tmp_path: Path) -> None:
    from runner.geo.scene import make_scene

    make_scene(tmp_path / "scene", size_km=0.6, seed=3, aerial_res=0.2)
    runs = {}
    for mode in ("quarter", "all"):
        r = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "scene"), mode], cwd=REPO,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        runs[mode] = json.loads(r.stdout.strip().splitlines()[-1])
    quarter, full = runs["quarter"], runs["all"]
    print(runs)
    assert full["patches"] >= full["grid"][0] * full["grid"][1]
    # reading 4x the ground must not cost memory in proportion: the whole scene as float32 arrays is ~145 MB
    grown = (full["peak_kb"] - quarter["peak_kb"])
    assert full["full_scene_kb"] > 100_000
    assert grown < full["full_scene_kb"] / 4, runs  # holding the extra 3/4 would add ~108 MB
