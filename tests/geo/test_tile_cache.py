"""The training tile cache: the same arrays as reading, read once, bounded by its budget, gone after the job."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from runner.geo import expand_series, open_scene
from runner.geo.tile_cache import TileCache


def _scene(scene_dir: Path):
    scene = open_scene(str(scene_dir / "aerial.tif"), expand_series([str(scene_dir / "s1")], "s1"),
                       expand_series([str(scene_dir / "s2")], "s2"), aerial_px=10)
    scene.norm = scene.compute_norm(max_tiles=4)
    return scene


def _assert_same(a: dict, b: dict) -> None:
    assert a["tiles"] == b["tiles"]
    assert sorted(a) == sorted(b)
    for k in a:
        if k != "tiles":
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
            assert a[k].dtype == b[k].dtype, k


def test_cached_reads_equal_fresh_reads_and_come_from_the_cache(small_scene: Path, tmp_path: Path) -> None:
    scene = _scene(small_scene)
    tiles = scene.tiles()
    shuffled = random.Random(0).sample(tiles, len(tiles))
    batch = shuffled[:5] + shuffled[:1]          # scattered tiles, one of them twice (a padded shard does that)
    fresh = scene.read_batch(batch)
    scene.tile_cache = cache = TileCache(tmp_path / "cache")
    first = scene.read_batch(batch)              # read and stored
    assert cache.stats()["tiles"] == 5 and cache.hits == 0
    second = scene.read_batch(list(reversed(batch)))
    assert cache.hits == 6                       # nothing read again
    _assert_same(first, fresh)
    _assert_same(second, {k: (v[::-1] if k != "tiles" else list(reversed(v))) for k, v in fresh.items()})
    # what statistics read (not normalised) bypasses the cache
    raw = scene.read_batch(batch[:1], normalise=False)
    assert cache.hits == 6 and not np.array_equal(raw["aerial"], first["aerial"][:1])
    cache.clear()
    assert not (tmp_path / "cache").exists()


def test_the_budget_stops_caching_not_reading(small_scene: Path, tmp_path: Path) -> None:
    scene = _scene(small_scene)
    tiles = scene.tiles()[:3]
    one_tile = sum(v[0].nbytes for k, v in scene.read_batch(tiles[:1]).items() if k != "tiles")
    scene.tile_cache = cache = TileCache(tmp_path / "cache", budget_bytes=one_tile)
    fresh = [scene.read_batch([t]) for t in tiles]
    again = [scene.read_batch([t]) for t in tiles]
    assert cache.stats()["tiles"] == 1 and cache.full
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    for a, b in zip(fresh, again, strict=True):
        _assert_same(a, b)


def test_a_crashed_runs_files_are_not_reused(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    old = TileCache(folder)
    old.put((0, 0), {"aerial": np.ones((2, 2), np.float32)})
    cache = TileCache(folder)                    # the next run of the same job: its norm may differ
    assert cache.get((0, 0)) is None and not list(folder.iterdir())


@pytest.mark.parametrize("gb", ["0", "1"])
def test_budget_from_the_environment(tmp_path: Path, monkeypatch, gb: str) -> None:
    monkeypatch.setenv("OMNISAT_TILE_CACHE_GB", gb)
    cache = TileCache(tmp_path / "cache")
    assert cache.budget <= float(gb) * 2**30 and (cache.budget == 0) == (gb == "0")
    stored = cache.put((1, 2), {"s2": np.zeros((3, 4), np.float32)})
    assert stored == (gb != "0")
