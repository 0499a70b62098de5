"""Tiles read once per training job: later epochs load them from the job's folder instead of warping again.

Why: training visits every tile once per epoch, in a new order each time, so the reader warps each tile on its
own (a 0.2 m aerial image in another CRS costs ~13 ms of CPU per tile, each Sentinel date file another window).
For `tiny` models that was ~20 % of every epoch after the first on 2 cores, and on a GPU it would cap training at
the reader's ~60 tiles/s. The arrays a tile reads to are the same every epoch (reading is deterministic; labels are
attached afterwards), so they are kept as uncompressed `.npz` files in the job's work folder: the page cache keeps
them in RAM while there is room, the process's own memory stays bounded by the batch, and the files go when the
job ends. A size budget (`OMNISAT_TILE_CACHE_GB`, default 20 GB, never more than half the free disk) stops
caching rather than filling the disk; tiles beyond it are read as before.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_BUDGET_GB = 20.0


def cache_budget(folder: Path) -> int:
    """Bytes the cache may use in `folder` (which exists): the configured budget, at most half the disk space
    free there."""
    gb = float(os.environ.get("OMNISAT_TILE_CACHE_GB", DEFAULT_BUDGET_GB))
    return int(max(0.0, min(gb * 2**30, shutil.disk_usage(folder).free / 2)))


class TileCache:
    """Per-tile arrays of `Scene.read_batch` (normalised, without the `tiles` entry), keyed by the tile's row and
    column. Thread-safe: the prefetching reader writes while the training loop runs."""

    def __init__(self, folder: str | Path, budget_bytes: int | None = None) -> None:
        self.folder = Path(folder)
        if self.folder.exists():  # a crashed run's files: the scene or its norm may have changed since
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        self.budget = cache_budget(self.folder) if budget_bytes is None else budget_bytes
        self.used = 0
        self.hits = 0
        self.misses = 0
        self.full = False
        self._known: set[tuple[int, int]] = set()
        self._lock = threading.Lock()

    def _path(self, key: tuple[int, int]) -> Path:
        return self.folder / f"r{key[0]}_c{key[1]}.npz"

    def get(self, key: tuple[int, int]) -> dict[str, np.ndarray] | None:
        with self._lock:
            known = key in self._known
            if known:
                self.hits += 1
            else:
                self.misses += 1
        if not known:
            return None
        with np.load(self._path(key), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}

    def put(self, key: tuple[int, int], arrays: dict[str, np.ndarray]) -> bool:
        """Keep one tile's arrays; False (and nothing written) once the budget is spent."""
        size = sum(a.nbytes for a in arrays.values())
        with self._lock:
            if key in self._known:
                return True
            if self.used + size > self.budget:
                self.full = True
                return False
            self.used += size
        path = self._path(key)
        tmp = path.with_name(f"{path.stem}.{threading.get_ident()}.tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)  # complete files only: a tile is listed once its file is whole
        with self._lock:
            self._known.add(key)
        return True

    def stats(self) -> dict[str, Any]:
        return {"tiles": len(self._known), "mb": round(self.used / 2**20, 1), "hits": self.hits,
                "misses": self.misses, "full": self.full}

    def clear(self) -> None:
        """Remove the files (the end of the job, done or failed)."""
        with self._lock:
            self._known.clear()
            self.used = 0
        shutil.rmtree(self.folder, ignore_errors=True)
