"""What every section shares: the sizes per device, synthetic batches with clouds and padding, comparisons, timing.

Sizes: on CUDA the paper's `base` model at TreeSatAI-TS geometry (6×6 patches of 50 aerial px, 50 dates), what
users run on a GPU; on the CPU the `tiny` model on small tiles, so the same code runs inside `make test` in seconds.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

BANDS = {"aerial": 4, "s1": 2, "s2": 10}
CLASSES = 8


@dataclass(frozen=True)
class Sizes:
    model: str            # model size: base on CUDA, tiny on the CPU
    tile_patches: int
    aerial_px: int
    dates: int
    parity_batch: int     # tiles in the CPU-vs-device comparisons
    repeats: int          # timed repetitions (median)
    matmul_n: int
    scene_km: float       # the classify scene's side
    scene_aerial_res: float
    oom_batch: int        # the batch asked for when out-of-memory is provoked
    max_search_batch: int  # the largest pretraining batch tried


CUDA_SIZES = Sizes("base", 6, 50, 50, 4, 5, 8192, 1.0, 0.2, 32, 512)
CPU_SIZES = Sizes("tiny", 4, 8, 8, 2, 2, 512, 0.3, 1.0, 8, 16)


def sizes_for(device: torch.device) -> Sizes:
    return CUDA_SIZES if device.type == "cuda" else CPU_SIZES


def config(sizes: Sizes, modalities: tuple[str, ...] = ("aerial", "s1", "s2"), no_dropout: bool = False) -> Any:
    """The model configuration the runner builds for these sizes; `no_dropout` zeroes every dropout and drop-path
    so a training-mode pass is deterministic across devices (the CPU and CUDA generators draw differently)."""
    from runner.model import OmniSatConfig

    cfg = OmniSatConfig.for_size(sizes.model, {m: BANDS[m] for m in modalities}, tile_patches=sizes.tile_patches,
                                 aerial_px=sizes.aerial_px)
    if no_dropout:
        cfg = dataclasses.replace(cfg, dropout=0.0, attn_dropout=0.0, drop_path=0.0, cross_drop_path=0.0,
                                  ltae_dropout=0.0, ltae_attn_dropout=0.0)
    return cfg


def synthetic_batch(sizes: Sizes, b: int, seed: int = 0, modalities: tuple[str, ...] = ("aerial", "s1", "s2"),
                    padded: int = 0, pad_value: float = float("nan"), unlabelled: float = 0.1) -> dict[str, Any]:
    """A Batch as the reader makes it (docs/contracts.md), with the awkward parts real data has: cloudy S2
    observations (mask False, junk values), the last `padded` dates of every series padding (day 0, values
    `pad_value`: NaN, which inference must ignore, or 0 as the reader writes them), one patch of the first tile
    without any valid S2 date (no token), a share `unlabelled` of patches without a label (−1)."""
    rng = np.random.default_rng(seed)
    p, k, t = sizes.tile_patches, sizes.aerial_px, sizes.dates
    out: dict[str, Any] = {}
    if "aerial" in modalities:
        out["aerial"] = rng.normal(size=(b, BANDS["aerial"], p * k, p * k)).astype(np.float32)
    for m in ("s1", "s2"):
        if m not in modalities:
            continue
        doy = np.sort(np.stack([rng.choice(365, size=t, replace=t > 365) + 1 for _ in range(b)]), axis=1)
        values = rng.normal(size=(b, t, BANDS[m], p, p)).astype(np.float32)
        mask = rng.random((b, t, p, p)) >= (0.3 if m == "s2" else 0.0)
        if m == "s2":
            values = np.where(mask[:, :, None], values, rng.normal(5, 5, values.shape)).astype(np.float32)
            mask[0, :, 0, 0] = False  # a patch never seen clear: no token, no key
        if padded:
            doy[:, t - padded:] = 0
            values[:, t - padded:] = pad_value
            mask[:, t - padded:] = False
        out[m], out[f"{m}_doy"], out[f"{m}_mask"] = values, doy.astype(np.int64), mask
    labels = rng.integers(0, CLASSES, size=(b, p, p)).astype(np.int64)
    labels[rng.random(labels.shape) < unlabelled] = -1
    out["labels"] = labels
    out["tile_labels"] = (rng.random((b, CLASSES)) > 0.6).astype(np.float32)
    return out


def rel_error(a: torch.Tensor, ref: torch.Tensor) -> float:
    """‖a − ref‖ / ‖ref‖ over all elements (fp32 on the CPU); 0 when both are zero."""
    a, ref = a.detach().float().cpu(), ref.detach().float().cpu()
    if not (torch.isfinite(a).all() and torch.isfinite(ref).all()):
        return float("inf")
    denom = float(ref.norm())
    diff = float((a - ref).norm())
    return diff / denom if denom > 0 else diff


def grads(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.grad.detach().float().cpu().clone() for n, p in model.named_parameters() if p.grad is not None}


def grad_error(a: dict[str, torch.Tensor], ref: dict[str, torch.Tensor]) -> tuple[float, float]:
    """(relative error, cosine) of the concatenated gradient vectors; same parameters must have gradients."""
    if set(a) != set(ref):
        return float("inf"), 0.0
    va = torch.cat([a[k].reshape(-1) for k in sorted(ref)])
    vr = torch.cat([ref[k].reshape(-1) for k in sorted(ref)])
    cos = float(torch.nn.functional.cosine_similarity(va, vr, dim=0))
    return rel_error(va, vr), cos


def clone_to(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    return copy.deepcopy(model).to(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(fn: Callable[[], Any], device: torch.device, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync(device)
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def matmul_tflops(device: torch.device, dtype: torch.dtype, n: int, repeats: int = 5) -> float:
    """Best TFLOP/s of an n×n matmul in `dtype` on `device` (this process, now)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    best = median_seconds(lambda: torch.mm(a, b), device, 1, warmup=2)
    for _ in range(repeats):
        best = min(best, median_seconds(lambda: torch.mm(a, b), device, 1, warmup=0))
    return 2 * n**3 / best / 1e12
