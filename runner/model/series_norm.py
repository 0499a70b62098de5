"""The S2 LTAE's input statistics over a patch's series (the reference's GroupNorm over channels × dates), masked.

Its own module because both LTAE formulations use it: the training path (runner/model/ltae.py) and the
inference path (runner/model/ltae_inference.py).
"""

from __future__ import annotations

import torch
from torch import Tensor


def series_standardise(h: Tensor, valid: Tensor, groups: int, eps: float) -> Tensor:
    """(N, T, C) series standardised per sequence within `groups` contiguous channel groups, statistics over the
    sequence's valid dates only (GroupNorm over channels × dates without its affine). Invalid dates come out 0.

    Statistics are computed in fp32: under bf16 autocast a sum over hundreds of dates loses too much.
    """
    n, t, c = h.shape
    width = c // groups
    x = h.reshape(n, t, groups, width).float()
    weight = valid.reshape(n, t, 1, 1).to(torch.float32)
    count = (weight.sum(1, keepdim=True) * width).clamp_min(1.0)                # (N, 1, 1, 1)
    mean = (x * weight).sum(dim=(1, 3), keepdim=True) / count                  # (N, 1, groups, 1)
    centred = (x - mean) * weight
    variance = (centred * centred).sum(dim=(1, 3), keepdim=True) / count
    return (centred * torch.rsqrt(variance + eps)).reshape(n, t, c).to(h.dtype)
