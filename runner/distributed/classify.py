"""Classify under torchrun: each rank classifies a contiguous share of the tiles, rank 0 merges ONE class map.

Each rank writes its tiles' class probabilities, in tile order, to `<job folder>/classify-shards/rank<r>.npy`
(float32, so the blend and the argmax are bit-for-bit those of a single process). After a barrier, rank 0 feeds
the shards in rank order (= tile order, the shards being contiguous) through the same ClassMapWriter a single
process uses, which keeps only a strip of rows in memory; the shards are read memory-mapped, one tile at a time.
Nothing is opened under the output's name before every shard is complete, so a failure on any rank leaves no
output file (and the writer's own `.partial` names cover a failure while merging).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from runner.distributed.env import barrier, broadcast, info, shard_bounds
from runner.errors import InputError, ResourceError

SHARD_DIR = "classify-shards"


class ShardedClassMapWriter:
    """ClassMapWriter's interface (add / close / abort) for this rank's share of `tiles`.

    `tiles` is the whole extent's tile list (every rank computes the same one); `self.tiles` is the share this
    rank must classify and add, in order. close() returns, on every rank, what ClassMapWriter.close() returned
    on rank 0.
    """

    def __init__(self, out: str | Path, grid: Any, classes: list, tiles: list, batch_size: int, work_dir: Path,
                 confidence: bool = True) -> None:
        self.d = info()
        self.out, self.grid, self.classes, self.confidence = Path(out), grid, list(classes), confidence
        self.all_tiles = list(tiles)
        here = (len(self.all_tiles), grid.n_rows, grid.n_cols, grid.tile_patches, len(self.classes))
        there = broadcast(here)
        if there != here:
            raise InputError(f"rank {self.d.rank} sees a different extent or model than rank 0 ({here} vs "
                             f"{there}: tiles, rows, cols, tile size, classes); every node must read the same files")
        # rank 0's batch size cuts the shards, so each rank runs the very batches a single process would
        self.bounds = shard_bounds(len(self.all_tiles), self.d.world_size, broadcast(batch_size))
        a, b = self.bounds[self.d.rank]
        self.tiles = self.all_tiles[a:b]
        self.folder = Path(work_dir) / SHARD_DIR
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = shard_path(self.folder, self.d.rank)
        self.partial = self.path.with_name(self.path.name + ".partial")
        p = grid.tile_patches
        self._array: np.ndarray | None = np.lib.format.open_memmap(
            self.partial, mode="w+", dtype=np.float32, shape=(len(self.tiles), p, p, len(self.classes)))
        self._next = 0

    def add(self, tile: Any, probs: np.ndarray) -> None:
        """probs: (P, P, K) class probabilities of the next tile of this rank's share."""
        if self._array is None or self._next >= len(self.tiles) or tile != self.tiles[self._next]:
            raise ValueError(f"rank {self.d.rank}: tile {tile} is not the next of this rank's share")
        self._array[self._next] = probs
        self._next += 1

    def close(self) -> dict[str, Any]:
        """Finish this rank's shard, wait for all, and (rank 0) merge; every rank returns rank 0's result."""
        if self._next != len(self.tiles):
            raise ValueError(f"rank {self.d.rank}: {self._next} of {len(self.tiles)} tiles classified")
        self._finish_shard()
        barrier()
        outcome: tuple[str, Any] = ("ok", None)
        if self.d.is_main:
            try:
                outcome = ("ok", self._merge())
            except BaseException as err:  # tell the other ranks why, then fail here too
                broadcast(("error", f"{type(err).__name__}: {err}"))
                raise
        status, value = broadcast(outcome)
        if status != "ok":
            raise RuntimeError(f"rank 0 could not merge the class map: {value}")
        return value

    def abort(self) -> None:
        """Remove this rank's shard (cancel, error); rank 0's merge cleans up after its own writer."""
        self._array = None
        for p in (self.partial, self.path):
            p.unlink(missing_ok=True)

    def _finish_shard(self) -> None:
        if self._array is None:
            raise ValueError(f"rank {self.d.rank}: the shard is already closed")
        self._array.flush()
        self._array = None  # unmap before renaming: the shard is complete when it has its final name
        os.replace(self.partial, self.path)

    def _merge(self) -> dict[str, Any]:
        from runner.geo import ClassMapWriter

        p, k = self.grid.tile_patches, len(self.classes)
        shards = [shard_path(self.folder, r) for r in range(self.d.world_size)]
        writer = ClassMapWriter(self.out, self.grid, self.classes, confidence=self.confidence)
        try:
            for r, (a, b) in enumerate(self.bounds):
                if not shards[r].is_file():
                    raise ResourceError(f"rank {r}'s shard {shards[r]} is missing: the job folder (runner home) "
                                        "must be on a filesystem every node shares (see docs/distributed.md)")
                probs = np.load(shards[r], mmap_mode="r")
                if probs.shape != (b - a, p, p, k):
                    raise ResourceError(f"rank {r}'s shard {shards[r]} holds {probs.shape}, expected "
                                        f"{(b - a, p, p, k)}")
                for j, tile in enumerate(self.all_tiles[a:b]):
                    writer.add(tile, np.asarray(probs[j]))
                del probs
            written = writer.close()
        except BaseException:
            writer.abort()
            raise
        finally:
            for s in shards:
                s.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.folder.rmdir()
        return written


def shard_path(folder: Path, rank: int) -> Path:
    return Path(folder) / f"rank{rank}.npy"
