"""Reconstruction decoders of pretraining (§8.3): VHR through the pooling indices, S1/S2 per selected date."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from runner.model.ltae import sinusoid


class SeriesDecoder(nn.Module):
    """Linear(D → C·n²)(f*_p + PE(date)) for every (patch, date); the loss keeps only the selected ones."""

    def __init__(self, dim: int, out_ch: int, period: float) -> None:
        super().__init__()
        self.dim, self.period = dim, period
        self.head = nn.Linear(dim, out_ch)

    def forward(self, patch_tokens: Tensor, dates: Tensor) -> Tensor:
        """patch_tokens (B, P², D), dates (B, T) encoding positions → (B, T, P², C·n²)."""
        pe = sinusoid(dates, self.dim, self.period).to(patch_tokens.dtype)  # frozen: no parameters
        return self.head(patch_tokens.unsqueeze(1) + pe.unsqueeze(2))


def select_dates(date_attn: Tensor, tile_valid: Tensor, quantile: float) -> Tensor:
    """(B, T) bool: valid dates with attention strictly above the tile's quantile (last date included).

    Quirk 3 fixed: every valid date, the last one too, is a candidate. The best date is always kept so a
    tile with equal attentions (e.g. a single date) still contributes.
    """
    att = date_attn.float().masked_fill(~tile_valid, float("nan"))
    has = tile_valid.any(1)
    q = torch.nanquantile(att[has], quantile, dim=1) if bool(has.any()) else att.new_zeros(0)
    thr = att.new_full((att.shape[0],), float("inf"))
    thr[has] = q
    best = att.masked_fill(~tile_valid, float("-inf")).amax(1, keepdim=True)
    return tile_valid & ((att > thr[:, None]) | (att >= best))
