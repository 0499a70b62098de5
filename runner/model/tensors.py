"""Geo `Batch` (numpy dict) → tensors on a device, with the dtypes the model expects."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

_INT_KEYS = ("labels",)


def to_tensors(batch: dict[str, Any], device: torch.device | str = "cpu") -> dict[str, Tensor]:
    """Arrays become tensors (float32 / int64 / bool); non-array entries such as `tiles` are left out."""
    out: dict[str, Tensor] = {}
    for key, value in batch.items():
        if isinstance(value, Tensor):
            out[key] = value.to(device)
            continue
        if not isinstance(value, np.ndarray):
            continue
        if value.dtype == np.bool_:
            t = torch.from_numpy(np.ascontiguousarray(value))
        elif np.issubdtype(value.dtype, np.integer) or key in _INT_KEYS or key.endswith(("_doy", "_days")):
            t = torch.from_numpy(np.ascontiguousarray(value, dtype=np.int64))
        else:
            t = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
        if torch.device(device).type == "cuda":
            t = t.pin_memory()  # page-locked: the copy runs asynchronously, overlapping the previous batch
        out[key] = t.to(device, non_blocking=True)
    return out


def batch_size_of(batch: dict[str, Any]) -> int:
    """Tiles in a batch (numpy or tensors): the length of its imagery, labels, tile list or first array."""
    for key in ("aerial", "s2", "s1", "labels", "tiles"):
        if key in batch:
            return int(len(batch[key]))
    for value in batch.values():
        if isinstance(value, (np.ndarray, Tensor)) and value.ndim > 0:
            return int(len(value))
    raise ValueError("batch holds no per-tile array")
