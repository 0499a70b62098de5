"""Flips and right-angle rotations turn every spatial array of a tile together and keep what each patch holds."""

from __future__ import annotations

import numpy as np

from runner.train.augment import Augmented, augment_batch, dihedral


def _batch(b: int = 3, p: int = 4, t: int = 5) -> dict:
    rng = np.random.default_rng(0)
    labels = rng.integers(-1, 4, size=(b, p, p))
    s2 = rng.normal(size=(b, t, 10, p, p)).astype(np.float32)
    return {"s2": s2, "s2_mask": rng.random((b, t, p, p)) > 0.3, "s2_doy": np.tile(np.arange(1, t + 1), (b, 1)),
            "aerial": np.repeat(np.repeat(labels[:, None].astype(np.float32), 5, axis=-1), 5, axis=-2),
            "labels": labels, "tile_labels": rng.random((b, 4)).astype(np.float32),
            "tiles": [(0, i) for i in range(b)]}


def test_the_eight_symmetries_are_distinct_and_invertible() -> None:
    x = np.arange(16).reshape(4, 4)
    images = {dihedral(x, k).tobytes() for k in range(8)}
    assert len(images) == 8
    for k in range(4):
        assert np.array_equal(dihedral(dihedral(x, k), (4 - k) % 4), x)


def test_each_patch_keeps_its_series_mask_label_and_aerial_pixels() -> None:
    batch = _batch()
    out = augment_batch(batch, np.random.default_rng(3))
    for i in range(3):
        # find where each labelled patch went: its S2 series must have moved with it
        for r in range(4):
            for c in range(4):
                series = out["s2"][i, :, :, r, c]
                match = [(r0, c0) for r0 in range(4) for c0 in range(4)
                         if np.array_equal(batch["s2"][i, :, :, r0, c0], series)]
                assert len(match) == 1
                r0, c0 = match[0]
                assert out["labels"][i, r, c] == batch["labels"][i, r0, c0]
                assert np.array_equal(out["s2_mask"][i, :, r, c], batch["s2_mask"][i, :, r0, c0])
                assert np.all(out["aerial"][i, 0, r * 5:(r + 1) * 5, c * 5:(c + 1) * 5] == batch["labels"][i, r0, c0])
    assert np.array_equal(out["tile_labels"], batch["tile_labels"])
    assert np.array_equal(out["s2_doy"], batch["s2_doy"])


def test_a_stream_is_repeatable_per_seed_and_varies_across_epochs() -> None:
    batches = [_batch(), _batch()]
    first = [b["labels"] for b in Augmented(batches, seed=7)]
    again = [b["labels"] for b in Augmented(batches, seed=7)]
    other = [b["labels"] for b in Augmented(batches, seed=8)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    assert len(Augmented(batches, seed=1)) == 2
