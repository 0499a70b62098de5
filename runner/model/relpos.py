"""Euclidean relative-position buckets from each token's patch (row, col), identical across modalities.

Quirk 1 fixed: the reference inferred the grid from the sequence length, so tokens of different modalities
at one patch were not at distance 0. Here every token carries its patch coordinates; the tile token gets a
bucket of its own. Buckets: distance {0}, {1}, {2-3}, {>=4} (iRPE piecewise-log with α 1.9) and {tile}.
"""

from __future__ import annotations

import torch
from torch import Tensor

N_BUCKETS = 5
TILE_BUCKET = 4


def token_coords(tile_patches: int, n_modalities: int, with_tile: bool = True,
                 device: torch.device | None = None) -> Tensor:
    """(L, 2) patch (row, col) per token in the order [tile, m1 patches…, m2 patches…]; tile = (-1, -1)."""
    r, c = torch.meshgrid(torch.arange(tile_patches, device=device), torch.arange(tile_patches, device=device),
                          indexing="ij")
    one = torch.stack([r.reshape(-1), c.reshape(-1)], dim=1)
    coords = one.repeat(n_modalities, 1)
    if with_tile:
        coords = torch.cat([torch.full((1, 2), -1, device=device, dtype=coords.dtype), coords])
    return coords


def bucket_of_distance(d: Tensor) -> Tensor:
    """Rounded Euclidean distance → bucket 0..3."""
    return torch.where(d <= 0, 0, torch.where(d == 1, 1, torch.where(d <= 3, 2, 3)))


def relative_buckets(q_coords: Tensor, k_coords: Tensor) -> Tensor:
    """(Lq, Lk) int64 bucket index; any pair involving a tile token (-1, -1) is TILE_BUCKET."""
    diff = (q_coords[:, None, :] - k_coords[None, :, :]).float()
    dist = torch.round(torch.sqrt((diff * diff).sum(-1))).long()
    buckets = bucket_of_distance(dist)
    tile = (q_coords[:, None, 0] < 0) | (k_coords[None, :, 0] < 0)
    return torch.where(tile, TILE_BUCKET, buckets).long()


def contextual_bias(q: Tensor, table: Tensor, buckets: Tensor) -> Tensor:
    """iRPE contextual key term q_i · w_bucket(i,j).

    q (B, H, Lq, dh) already scaled, table (N_BUCKETS, dh) shared by heads, buckets (Lq, Lk) → (B, H, Lq, Lk).
    Computed as q·Wᵀ then a gather: no (Lq, Lk, dh) tensor is ever built.
    """
    qw = q @ table.t()  # (B, H, Lq, NB)
    idx = buckets.unsqueeze(0).unsqueeze(0).expand(q.shape[0], q.shape[1], -1, -1)
    return torch.gather(qw, 3, idx)
