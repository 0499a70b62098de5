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


# Models at least this wide (the embedding dim) run faster in bf16 on CPUs with native bf16; narrower ones do not.
# Measured on AMX (docs/performance.md): `base` (256) inference 1.2-2.5x faster, `tiny` (64) 0-22 % slower.
CPU_BF16_MIN_WIDTH = 256


def cpu_has_native_bf16() -> bool:
    """AMX or AVX512-BF16: the CPUs where oneDNN runs bf16 matmuls and convolutions in hardware (elsewhere it
    emulates them, slower than fp32)."""
    cpu = getattr(torch, "cpu", None)
    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    try:
        return any(bool(getattr(cpu, name)()) for name in checks if hasattr(cpu, name))
    except RuntimeError:
        return False


def amp_dtype(device: torch.device, amp: str = "auto", *, inference: bool = False, width: int = 0,
              native_bf16: bool | None = None) -> torch.dtype | None:
    """The autocast dtype for `amp` (None = fp32).

    `auto` is bf16 on CUDA. On a CPU it is bf16 only for *inference* of a model at least CPU_BF16_MIN_WIDTH wide
    on a CPU with native bf16: there it is 1.2-2.5x faster and changes held-out macro F1 by hundredths of a
    point, which is the fast path a user should get without asking (OpenVINO makes the same choice on such
    CPUs). Training stays fp32 on CPUs under `auto`: bf16 training moves single runs by several points and
    `tiny`, the size one trains on a CPU, is slower in bf16. `native_bf16` overrides the CPU check (tests)."""
    if amp == "off":
        return None
    if amp == "bf16":
        return torch.bfloat16
    if amp != "auto":
        raise InputError(f"amp {amp!r}: choose auto, bf16 or off")
    if device.type == "cuda":
        return torch.bfloat16
    if not (inference and width >= CPU_BF16_MIN_WIDTH):
        return None
    native = cpu_has_native_bf16() if native_bf16 is None else native_bf16
    return torch.bfloat16 if native else None


@contextlib.contextmanager
def autocast(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    if dtype is None:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield
