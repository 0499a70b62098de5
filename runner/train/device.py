"""Device, mixed precision and CPU threads: CUDA with bf16 autocast when present, else all CPU cores."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

from runner.errors import InputError


def choose_device(device: str = "auto") -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("device cuda: no CUDA GPU is available to this runner; use device auto or cpu")
    if device not in ("cpu", "cuda"):
        raise InputError(f"device {device!r}: choose auto, cpu or cuda")
    if device == "cpu":
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                  else (os.cpu_count() or 1)))
    return torch.device(device)


def amp_dtype(device: torch.device, amp: str = "auto") -> torch.dtype | None:
    """bf16 autocast on CUDA by default; on CPU only when asked (bf16 matmuls are slow on many CPUs)."""
    if amp == "off":
        return None
    if amp == "bf16" or (amp == "auto" and device.type == "cuda"):
        return torch.bfloat16
    if amp == "auto":
        return None
    raise InputError(f"amp {amp!r}: choose auto, bf16 or off")


@contextlib.contextmanager
def autocast(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    if dtype is None:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield
