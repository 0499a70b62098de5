"""VHR (aerial) encoder: a small CNN that pools each patch down to one token, keeping the pooling indices.

Patches are folded into the batch dimension and encoded independently (no Python loop over patches). The
decoder of masked reconstruction (`VHRDecoder`) unpools with the recorded indices ("index bypass", §8.3), so
it inverts exactly the pools the encoder did, whatever the patch size k.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

MAX_POOLS = 4
CHANNELS_LAST_MIN_SIDE = 8


def cnn_layout(x: Tensor) -> Tensor:
    """x in the memory layout its next convolution runs fastest in.

    Channels-last almost everywhere: cuDNN's tensor-core kernels, oneDNN's bf16 (AMX) kernels at every map size,
    its AVX2 fp32 kernels at every size and its AVX-512 fp32 kernels on maps of 12×12 and more run fastest in it.
    The exception is fp32 with AVX-512 for maps under `CHANNELS_LAST_MIN_SIDE` px: there oneDNN's own blocked
    layout, which it reaches from PyTorch's default layout, is faster, forward and backward. The GFLOP/s behind
    each case are in docs/performance.md."""
    if x.device.type == "cpu" and min(x.shape[-2:]) < CHANNELS_LAST_MIN_SIDE and x.dtype == torch.float32 \
            and not torch.is_autocast_enabled("cpu") and _avx512():
        return x.contiguous()
    return x.contiguous(memory_format=torch.channels_last)


@functools.cache
def _avx512() -> bool:
    """Whether PyTorch runs AVX-512 kernels here (oneDNN picks its ISA from the same CPU)."""
    return torch.backends.cpu.get_cpu_capability().startswith("AVX512")


def max_pool_2x2(x: Tensor) -> Tensor:
    """`F.max_pool2d(x, 2)` (floor mode) as two elementwise maxima over strided views, for when no indices
    are needed.

    Why: PyTorch's CPU max-pool always computes int64 indices, and its kernel for PyTorch's default layout is
    slow on small maps (fp32 gains in docs/performance.md; bf16 about even). NaN propagates as in max_pool2d."""
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    rows = torch.maximum(x[..., 0:h:2, :w], x[..., 1:h:2, :w])
    return torch.maximum(rows[..., 0::2], rows[..., 1::2])


def _pool(x: Tensor, trace: PoolTrace | None, adaptive: bool = False) -> Tensor:
    """One max-pool of the encoder (2×2, or adaptive to 1×1), its input size and indices recorded into `trace`.

    Without a trace: `max_pool2d` under autograd (fine-tuning keeps its gradient, all to one element of a
    tie), `max_pool_2x2` otherwise."""
    if trace is not None:
        trace.sizes.append((x.shape[-2], x.shape[-1]))
        x, idx = F.adaptive_max_pool2d(x, 1, return_indices=True) if adaptive else \
            F.max_pool2d(x, 2, return_indices=True)
        trace.indices.append(idx)
        return x
    if adaptive:
        return F.adaptive_max_pool2d(x, 1)
    return F.max_pool2d(x, 2) if torch.is_grad_enabled() else max_pool_2x2(x)


@dataclass
class PoolTrace:
    """What the decoder needs: each pool's indices and input size, the stem's input size."""

    indices: list[Tensor]
    sizes: list[tuple[int, int]]
    stem_in: tuple[int, int]
    adaptive: bool


def pool_plan(k: int) -> tuple[int, bool]:
    """Number of 2×2 max-pools after the stride-2 stem, and whether a final adaptive pool is needed.

    50 → 25 → 12 → 6 → 3 → 1 and 40 → 20 → 10 → 5 → 2 → 1 use four pools (the paper); small patches
    (10, 20, 25) stop when one pixel is left. Beyond four pools an adaptive max-pool finishes the job.
    """
    s = (k + 1) // 2
    pools = 0
    while s > 1 and pools < MAX_POOLS:
        s //= 2
        pools += 1
    return pools, s > 1


class ResBlock(nn.Module):
    """conv → GN → GELU → conv → GN → +x → GELU; one GroupNorm shared by both convs (quirk 8) unless told."""

    def __init__(self, ch: int, groups: int, shared_norm: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1, bias=False)
        self.norm1 = nn.GroupNorm(groups, ch)
        self.norm2 = self.norm1 if shared_norm else nn.GroupNorm(groups, ch)

    def forward(self, x: Tensor) -> Tensor:
        h = F.gelu(self.norm1(self.conv1(x)))
        return F.gelu(self.norm2(self.conv2(h)) + x)


class VHREncoder(nn.Module):
    """(B, C, P·k, P·k) aerial tile → (B, P², D) tokens plus the pooling trace."""

    def __init__(self, in_ch: int, k: int, ch: int, dim: int, groups: int = 4, shared_norm: bool = True) -> None:
        super().__init__()
        self.k = k
        self.n_pools, self.adaptive = pool_plan(k)
        self.stem = nn.Sequential(nn.Conv2d(in_ch, ch, 3, stride=2, padding=1), nn.BatchNorm2d(ch), nn.GELU())
        self.blocks = nn.ModuleList(ResBlock(ch, groups, shared_norm) for _ in range(max(self.n_pools - 1, 0)))
        self.proj = nn.Identity() if ch == dim else nn.Linear(ch, dim)

    def forward(self, x: Tensor, tile_patches: int, trace: bool = True) -> tuple[Tensor, PoolTrace | None]:
        """`trace=False` (classifying: no decoder to unpool) records no pooling indices and, without autograd,
        pools by `max_pool_2x2`, which is faster; see `_pool`."""
        b, c, h, w = x.shape
        p, k = tile_patches, self.k
        if h != p * k or w != p * k:
            raise ValueError(f"aerial tile is {h}×{w} px, expected {p * k}×{p * k} ({p} patches of {k} px)")
        # (B, C, P, k, P, k) → (B·P·P, C, k, k), patches row-major, gathered straight into channels-last memory
        x = x.reshape(b, c, p, k, p, k).permute(0, 2, 4, 3, 5, 1).reshape(b * p * p, k, k, c).permute(0, 3, 1, 2)
        x = self.stem(cnn_layout(x))
        trace_out = PoolTrace([], [], (k, k), self.adaptive) if trace else None
        for i in range(self.n_pools):
            x = _pool(x, trace_out)
            if i < len(self.blocks):
                x = self.blocks[i](cnn_layout(x))
        if self.adaptive:
            x = _pool(x, trace_out, adaptive=True)
        tokens = self.proj(x.reshape(b * p * p, -1)).reshape(b, p * p, -1)
        return tokens, trace_out


class VHRDecoder(nn.Module):
    """Index-bypass decoder: [unpool → ConvT 3×3] per pool, then a stride-2 ConvT back to C channels at k×k."""

    def __init__(self, out_ch: int, k: int, ch: int, dim: int) -> None:
        super().__init__()
        n_pools, adaptive = pool_plan(k)
        n_unpools = n_pools + int(adaptive)
        self.proj = nn.Identity() if ch == dim else nn.Linear(dim, ch)
        self.convs = nn.ModuleList(nn.ConvTranspose2d(ch, ch, 3, padding=1) for _ in range(n_unpools - 1))
        self.final = nn.ConvTranspose2d(ch, out_ch, 3, stride=2, padding=1)

    def forward(self, f: Tensor, trace: PoolTrace) -> Tensor:
        """f (N, D) per-patch fused tokens → (N, C, k, k)."""
        x = self.proj(f).reshape(f.shape[0], -1, 1, 1)
        steps = list(zip(trace.indices, trace.sizes, strict=True))[::-1]
        for i, (idx, size) in enumerate(steps):
            if i == 0 and trace.adaptive:
                x = _adaptive_unpool(x, idx, size)
            else:
                x = F.max_unpool2d(x, idx, kernel_size=2, output_size=size)
            x = cnn_layout(x)
            if i < len(self.convs):
                x = self.convs[i](x)
        return self.final(x, output_size=list(trace.stem_in))


def _adaptive_unpool(x: Tensor, idx: Tensor, size: tuple[int, int]) -> Tensor:
    """Inverse of adaptive_max_pool2d to 1×1: scatter each channel's value back to its argmax position."""
    n, c = x.shape[:2]
    out = x.new_zeros(n, c, size[0] * size[1])
    out.scatter_(2, idx.reshape(n, c, 1), x.reshape(n, c, 1))
    return out.reshape(n, c, *size)
