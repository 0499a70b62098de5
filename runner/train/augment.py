"""Training augmentation that fits Earth observation: the eight flips and right-angle rotations of a tile.

Why: seen from above, a field or a stand has no orientation a class depends on, so each symmetry of the square
is as real a sample as the original; with a few polygons per class it multiplies the labelled tiles eightfold
at no reading cost. Every spatial array of the batch turns together (aerial pixels, S1/S2 pixels, their masks,
the patch labels), so each patch keeps its pixels, dates and label; the tile-level labels do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

# keys whose last two axes are the tile's rows and columns (aerial pixels, S1/S2 pixels, masks, patch labels)
SPATIAL_KEYS = ("aerial", "s1", "s2", "s1_mask", "s2_mask", "labels")


def dihedral(array: np.ndarray, k: int) -> np.ndarray:
    """One of the 8 symmetries of the square on the last two axes: k % 4 quarter turns, then a flip if k ≥ 4."""
    out = np.rot90(array, k % 4, axes=(-2, -1))
    if k >= 4:
        out = out[..., ::-1]
    return np.ascontiguousarray(out)


def augment_batch(batch: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Each tile of the batch turned by its own random symmetry; other keys are kept as they are."""
    n = len(batch["tiles"]) if "tiles" in batch else next(len(v) for v in batch.values() if hasattr(v, "shape"))
    ks = rng.integers(0, 8, size=n)
    out = dict(batch)
    for key in SPATIAL_KEYS:
        if key in batch:
            out[key] = np.stack([dihedral(a, int(k)) for a, k in zip(batch[key], ks, strict=True)])
    return out


class Augmented:
    """A per-epoch batch stream with every batch augmented; keeps the stream's length for progress reports."""

    def __init__(self, stream: Iterable[dict[str, Any]], seed: int) -> None:
        self.stream, self.seed = stream, seed

    def __len__(self) -> int:
        return len(self.stream)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rng = np.random.default_rng(self.seed)
        for batch in self.stream:
            yield augment_batch(batch, rng)


def augmented(batches: Callable[[int], Iterable[dict[str, Any]]], seed: int
              ) -> Callable[[int], Iterable[dict[str, Any]]]:
    """`batches(epoch)` with each epoch's tiles turned by symmetries drawn from (seed, epoch)."""
    return lambda epoch: Augmented(batches(epoch), seed * 1000 + epoch)
