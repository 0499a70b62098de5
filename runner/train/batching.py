"""How many tiles go through the model at once: chosen from free memory, lowered when the device runs out.

Why: a fixed batch size is wrong on both ends. On a 24 GB GPU a batch of 8 leaves most of the card idle; on a
laptop GPU it runs out of memory half-way through a forest. The runner estimates what one tile needs, sizes the
batch to the free memory it sees before starting (and says so if not even one tile fits), and if the device still
runs out of memory (fragmentation, another program) it halves the batch and retries the same tiles, so a long
job finishes instead of failing at tile 4,000.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import torch

from runner.errors import ResourceError
from runner.model import OmniSatConfig
from runner.model.tensors import batch_size_of

T = TypeVar("T")
MAX_AUTO_BATCH = 256
MEMORY_FRACTION = 0.6   # of the free memory, leaving room for the allocator's slack and other programs
CPU_BATCH = 8           # tiles per batch on a CPU with the aerial image
CPU_TOKEN_ROWS = 1024   # without it: at least this many combiner rows (tiles × tokens) per batch ...
CPU_MAX_BATCH = 32      # ... up to this many tiles


def inference_bytes_per_tile(cfg: OmniSatConfig, dates: int = 50) -> int:
    """An upper estimate of the activation memory of one tile in inference (fp32).

    The aerial CNN dominates: after the stride-2 stem, each residual block holds about four feature maps of
    `cnn_channels × (P·k/2)²` floats, plus int64 pooling indices. The time series hold per-date embeddings of each
    patch through the LTAE."""
    total = 0
    side = cfg.tile_patches * cfg.aerial_px
    if "aerial" in cfg.modalities:
        half = (side + 1) // 2
        total += cfg.modalities["aerial"] * side * side * 4
        total += 4 * cfg.cnn_channels * half * half * 4 + cfg.cnn_channels * (half // 2) ** 2 * 8
    width = max(cfg.dim, *cfg.ltae_in_mlp, *cfg.ltae_out_mlp)
    for m in ("s1", "s2"):
        if m in cfg.modalities:
            pixels = cfg.n_patches * cfg.ts_px * cfg.ts_px
            total += 4 * pixels * dates * width * 4
    tokens = cfg.n_patches * len(cfg.modalities) + 1
    total += 4 * (cfg.heads * tokens * tokens + 4 * tokens * cfg.dim) * 4
    return int(total * 1.5)


def cpu_batch_size(cfg: OmniSatConfig, modalities: Sequence[str] | None = None) -> int:
    """Tiles per batch on a CPU when the user sets none, for a model used with `modalities` (default: all of its).

    Why: with the aerial image, the CNN's convolutions over 8 × 36 patches already run at oneDNN's full speed and
    more tiles only cost memory (~1 GB per 8 tiles for `base` at 0.2 m). Without it, the time is in the combiner's
    and the LTAEs' matmuls, whose row count is tiles × tokens: 8 tiles of S2 only are 296 combiner rows, too short
    for full-speed kernels. Doubling until 1,024 rows (S1 + S2: 16 tiles, S2 or S1 alone: 32) ran 7–25 % faster
    (`base` and `tiny`, fp32 and bf16; docs/performance.md), and beyond that nothing more."""
    mods = list(modalities) if modalities is not None else list(cfg.modalities)
    if "aerial" in mods:
        return CPU_BATCH
    tokens = cfg.n_patches * len(mods) + 1
    size = CPU_BATCH
    while size * tokens < CPU_TOKEN_ROWS and size < CPU_MAX_BATCH:
        size *= 2
    return size


def free_memory(device: torch.device) -> int:
    """Bytes this process can still use on `device`: free GPU memory, or the machine's available RAM."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    import psutil

    return int(psutil.virtual_memory().available)


def pick_batch_size(requested: int | None, per_tile: int, free: int, *, device: str = "cpu",
                    fraction: float = MEMORY_FRACTION, cap: int = MAX_AUTO_BATCH, cpu_default: int = CPU_BATCH) -> int:
    """The batch size to start with.

    `requested` None means choose: on a GPU as many tiles as fit in `fraction` of the free memory (at most `cap`);
    on a CPU `cpu_default` (see `cpu_batch_size`: bigger batches buy nothing there and cost memory), if it fits.
    A requested size is lowered when it would not fit, never raised. If not even one tile fits, say so before
    anything starts."""
    fits = int(free * fraction // max(per_tile, 1))
    if fits < 1:
        raise ResourceError(f"one tile needs about {per_tile / 2**20:,.0f} MB on {device} but only "
                            f"{free / 2**20:,.0f} MB are free; close other programs or use a smaller tile or "
                            "aerial resolution")
    want = requested if requested is not None else (cap if device == "cuda" else cpu_default)
    return max(1, min(want, fits))


def is_out_of_memory(err: BaseException) -> bool:
    """CUDA's OutOfMemoryError, and the CPU allocator's "can't allocate memory" RuntimeError."""
    if isinstance(err, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(err, RuntimeError) and ("out of memory" in str(err).lower()
                                              or "can't allocate memory" in str(err).lower())


def halve_after_oom(err: Exception, size: int, device: torch.device, single_tile_message: str) -> int:
    """The chunk size to retry with after `err`: half of `size` (rounded up) if `err` is out-of-memory.

    Anything else is re-raised; running out with a single tile is a ResourceError with `single_tile_message`."""
    if not is_out_of_memory(err):
        raise err
    if device.type == "cuda":
        torch.cuda.empty_cache()
    if size <= 1:
        raise ResourceError(single_tile_message) from err
    return (size + 1) // 2


class AdaptiveBatches:
    """Run a function over a batch in chunks of at most `size` tiles, halving `size` on out-of-memory.

    The halved size sticks for the rest of the job (memory rarely comes back), and the chunk that failed is
    retried, so no tile is skipped or computed twice into the output."""

    def __init__(self, size: int, device: torch.device, on_shrink: Callable[[int, int], None] | None = None) -> None:
        self.size = max(1, size)
        self.device = device
        self.on_shrink = on_shrink
        self.shrinks = 0

    def run(self, batch: dict[str, Any], fn: Callable[[dict[str, Any]], np.ndarray]) -> np.ndarray:
        n = batch_size_of(batch)
        outs: list[np.ndarray] = []
        start = 0
        while start < n:
            stop = min(n, start + self.size)
            try:
                outs.append(fn(slice_batch(batch, start, stop) if (start, stop) != (0, n) else batch))
            except Exception as err:  # noqa: BLE001 - only out-of-memory is handled, the rest re-raised
                old = self.size
                self.size = halve_after_oom(err, stop - start, self.device,
                                            f"out of memory on {self.device} with a batch of one tile: {err}")
                self.shrinks += 1
                if self.on_shrink is not None:
                    self.on_shrink(old, self.size)
                continue
            start = stop
        return outs[0] if len(outs) == 1 else np.concatenate(outs, axis=0)


def slice_batch(batch: dict[str, Any], start: int, stop: int) -> dict[str, Any]:
    """Tiles start:stop of a batch: every per-tile entry (arrays, tensors, lists) cut along its first axis."""
    n = batch_size_of(batch)
    out: dict[str, Any] = {}
    for key, value in batch.items():
        if isinstance(value, (np.ndarray, torch.Tensor, list, tuple)) and len(value) == n:
            out[key] = value[start:stop]
        else:
            out[key] = value
    return out
