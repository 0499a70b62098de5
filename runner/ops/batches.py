"""The streams of tile batches training reads: shuffled per epoch, labelled when a label map is given, and under
torchrun each rank's share.

They sit above runner.distributed (they shard with it) and below the operations that build them, so no import runs back
from runner.distributed to runner.ops.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from runner.distributed.env import info, shard_padded


def shuffled(tiles: list, seed: int) -> list:
    out = list(tiles)
    random.Random(seed).shuffle(out)  # nosec B311 - data order, not security
    return out


class BatchStream:
    """Batches of tiles from the scene, with labels attached when a label map is given.

    It has a length (batches per epoch), so training can report progress and an ETA from the first epoch on."""

    def __init__(self, scene: Any, tiles: list, batch_size: int, label_map: Any = None,
                 seed: int | None = None) -> None:
        self.scene, self.batch_size, self.label_map = scene, batch_size, label_map
        self.tiles = shuffled(tiles, seed) if seed is not None else list(tiles)

    def __len__(self) -> int:
        return math.ceil(len(self.tiles) / self.batch_size)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for batch in self.scene.iter_batches(self.tiles, self.batch_size):
            if self.label_map is not None:
                batch["labels"], batch["tile_labels"] = self.label_map.labels_for(batch["tiles"],
                                                                                  self.scene.grid.tile_patches)
            yield batch


def epoch_batches(scene: Any, tiles: list, batch_size: int, label_map: Any = None,
                  seed: int = 0) -> Callable[[int], Iterable[dict[str, Any]]]:
    return lambda epoch: BatchStream(scene, tiles, batch_size, label_map, seed=seed * 1000 + epoch)


def fixed_batches(scene: Any, tiles: list, batch_size: int,
                  label_map: Any = None) -> Callable[[], Iterable[dict[str, Any]]]:
    return lambda: BatchStream(scene, tiles, batch_size, label_map)


def train_batches(scene: Any, tiles: list, batch_size: int, label_map: Any = None,
                  seed: int = 0) -> Callable[[int], Iterable[dict[str, Any]]]:
    """Per-epoch training batches: all tiles in a single process, this rank's share under torchrun.

    Every rank shuffles the full tile list with the epoch's seed (the order a single process would use), then
    takes its padded share, so the ranks together cover every tile each epoch in equal step counts.
    """
    full = epoch_batches(scene, tiles, batch_size, label_map, seed)
    if not info().distributed:
        return full
    return lambda epoch: BatchStream(scene, shard_padded(full(epoch).tiles), batch_size, label_map)
