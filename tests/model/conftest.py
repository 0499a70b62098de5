"""Synthetic batches with learnable signal for the model tests (independent of runner/geo's synthetic scene).

Each patch of a tile has a class. Aerial pixels carry a class texture (stripes along rows, along columns,
checkerboard, flat), S2 a class-dependent seasonal curve per band, S1 a class-dependent backscatter level.
Clouds hide S2 observations at random (mask False, values garbage); some patches are unlabelled (−1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runner.jobs.context import JobContext

CLASSES = 4
P = 6


def _aerial(rng: np.random.Generator, cls: np.ndarray, k: int) -> np.ndarray:
    b = cls.shape[0]
    yy, xx = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    textures = np.stack([np.sin(yy * 1.6), np.sin(xx * 1.6), ((yy + xx) % 2) * 2 - 1.0, np.zeros((k, k))])
    levels = np.array([[0.2, -0.3, 0.5, 0.1], [-0.4, 0.3, 0.0, 0.6], [0.1, 0.1, -0.5, -0.2], [0.6, -0.6, 0.3, -0.1]])
    tex = textures[cls]                                  # (B, P, P, k, k)
    lev = levels[cls]                                    # (B, P, P, 4)
    img = lev[..., None, None] + 0.8 * tex[:, :, :, None]  # (B, P, P, 4, k, k)
    img = img + rng.normal(0, 0.3, img.shape)
    return img.transpose(0, 3, 1, 4, 2, 5).reshape(b, 4, P * k, P * k).astype(np.float32)


def _series(rng: np.random.Generator, cls: np.ndarray, doy: np.ndarray, bands: int, n: int,
            kind: str) -> np.ndarray:
    b, t = doy.shape
    phase = np.array([0.0, 1.5, 3.0, 4.5])[cls]            # (B, P, P)
    amp = np.array([1.0, 0.6, 0.9, 0.3])[cls]
    season = np.sin(2 * np.pi * doy[:, :, None, None] / 365.0 + phase[:, None])  # (B, T, P, P)
    band_gain = np.linspace(0.5, 1.5, bands)
    if kind == "s1":
        base = np.array([-0.5, 0.2, 0.6, -0.1])[cls][:, None, None] * np.ones((1, 1, bands, 1, 1))
        vals = base + 0.2 * season[:, :, None] * band_gain[None, None, :, None, None]
    else:
        vals = amp[:, None, None] * season[:, :, None] * band_gain[None, None, :, None, None]
    vals = vals + rng.normal(0, 0.15, vals.shape)
    vals = np.repeat(np.repeat(vals, n, axis=3), n, axis=4)  # (B, T, C, P·n, P·n)
    return vals.astype(np.float32)


def make_batch(rng: np.random.Generator, b: int = 4, k: int = 10, t: int = 8, n: int = 1,
               modalities: tuple[str, ...] = ("aerial", "s1", "s2"), s2_bands: int = 10,
               cloud: float = 0.2) -> dict[str, Any]:
    """One synthetic Batch following docs/contracts.md (numpy, float32 / int64 / bool)."""
    # blocky classes: 2×2 blocks of patches share a class, so the combiner's context helps
    blocks = rng.integers(0, CLASSES, size=(b, P // 2, P // 2))
    cls = np.repeat(np.repeat(blocks, 2, axis=1), 2, axis=2)
    batch: dict[str, Any] = {}
    if "aerial" in modalities:
        batch["aerial"] = _aerial(rng, cls, k)
    for m, bands in (("s1", 2), ("s2", s2_bands)):
        if m not in modalities:
            continue
        doy = np.sort(rng.choice(np.arange(1, 366), size=(b, t), replace=True), axis=1).astype(np.int64)
        batch[m] = _series(rng, cls, doy, bands, n, m)
        batch[f"{m}_doy"] = doy
        batch[f"{m}_days"] = (doy - doy[:, :1]).astype(np.int64)
        mask = rng.random((b, t, P, P)) >= (cloud if m == "s2" else 0.0)
        batch[f"{m}_mask"] = mask
        noisy = np.repeat(np.repeat(~mask, n, axis=2), n, axis=3)[:, :, None]
        batch[m] = np.where(noisy, rng.normal(5, 5, batch[m].shape), batch[m]).astype(np.float32)  # cloud junk
    labels = cls.astype(np.int64).copy()
    labels[rng.random(labels.shape) < 0.1] = -1
    batch["labels"] = labels
    batch["tile_labels"] = np.stack([(cls == c).any(axis=(1, 2)) for c in range(CLASSES)], 1).astype(np.float32)
    return batch


def batch_set(seed: int, count: int, **kw: Any) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    return [make_batch(rng, **kw) for _ in range(count)]


class RecordingContext(JobContext):
    """A real JobContext that remembers progress and events, and cancels itself after N progress calls."""

    def __init__(self, work: Path, cancel_after: int | None = None) -> None:
        super().__init__("test", work, work / "job")
        self.progress_calls: list[dict[str, Any]] = []
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self.cancel_after = cancel_after

    def _on_progress(self, progress: dict[str, Any]) -> None:
        self.progress_calls.append(progress)
        if self.cancel_after is not None and len(self.progress_calls) >= self.cancel_after:
            self.cancel()

    def _on_event(self, kind: str, message: str, data: dict[str, Any]) -> None:
        self.events.append((kind, message, data))


@pytest.fixture
def make_ctx(tmp_path: Path):
    def factory(cancel_after: int | None = None, sub: str = "ctx") -> RecordingContext:
        return RecordingContext(tmp_path / sub, cancel_after)
    return factory
