"""Lightweight temporal attention encoder (LTAE): one token per (patch, modality) from a time series.

Differences from the reference (docs/model.md, "LTAE"): a pad mask per (patch, date) so padded, cloudy or nodata
observations change nothing; the per-date attention output is masked; reshapes are explicit (B = 1 works).
The input and output MLPs run only on valid observations / patches with a token, so BatchNorm statistics
are never polluted by padding. A patch without any valid date gets no token (`has_token` False).

The input GroupNorm (S2) has two scopes. `series`, the reference's: statistics of each patch's whole series
(channels in the group × its valid dates), so how bright a date is against the other dates of the same
series (phenology) survives normalisation. `date`: statistics of each (patch, date) row alone, which erases
that contrast; kept only so models trained before the scope existed rebuild unchanged.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from runner.model.ltae_inference import dense_eval_chunked
from runner.model.series_norm import series_standardise


def sinusoid(positions: Tensor, width: int, period: float) -> Tensor:
    """Transformer sinusoid of `width` channels at (float) positions: sin on even, cos on odd channels."""
    i = torch.arange(width, device=positions.device)
    denom = torch.pow(torch.tensor(float(period), device=positions.device), 2 * (i // 2) / width)
    angle = positions.float().unsqueeze(-1) / denom
    return torch.where(i % 2 == 0, torch.sin(angle), torch.cos(angle))


def mlp(dims: list[int], dropout: float) -> nn.Sequential:
    """Linear → BatchNorm1d → ReLU (→ Dropout) between consecutive widths."""
    layers: list[nn.Module] = []
    for a, b in zip(dims[:-1], dims[1:], strict=True):
        layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def token_group_norm(x: Tensor, gn: nn.GroupNorm) -> Tensor:
    """GroupNorm of (N, C) rows via layer_norm per group: same result, far faster than GroupNorm on 2-D input."""
    n, c = x.shape
    y = F.layer_norm(x.reshape(n, gn.num_groups, c // gn.num_groups), (c // gn.num_groups,), eps=gn.eps)
    return y.reshape(n, c) * gn.weight + gn.bias


NORM_SCOPES = ("series", "date")


def _bn_safe(layers: nn.Module, x: Tensor) -> Tensor:
    """Run an MLP with BatchNorm on one row in training (a lone cloud-free patch) without BatchNorm failing."""
    if layers.training and x.shape[0] == 1:
        return layers(x.expand(2, -1))[:1]
    return layers(x)


class LTAE(nn.Module):
    """(B, T, C, P·n, P·n) series + (B, T, P, P) validity → (B, P², D) tokens, has_token, (B, T) attention."""

    def __init__(self, in_ch: int, ts_px: int, dim: int, heads: int, dk: int, in_mlp: list[int],
                 out_mlp: list[int], dropout: float, attn_dropout: float, period: float, in_norm: bool,
                 norm_scope: str = "series") -> None:
        super().__init__()
        if norm_scope not in NORM_SCOPES:
            raise ValueError(f"LTAE norm scope {norm_scope!r}: choose one of {', '.join(NORM_SCOPES)}")
        self.norm_scope = norm_scope
        self.n, self.dim, self.heads, self.dk, self.period = ts_px, dim, heads, dk, period
        # in-MLP layers use dropout too in the reference; the last Linear→BN→ReLU keeps it as well
        self.in_mlp = mlp([in_ch * ts_px * ts_px] + list(in_mlp) + [dim], dropout)
        self.in_norm = nn.GroupNorm(heads, dim) if in_norm else None
        self.key = nn.Linear(dim, heads * dk)
        self.query = nn.Parameter(torch.randn(heads, dk) * math.sqrt(2.0 / dk))
        self.attn_drop = nn.Dropout(attn_dropout)
        self.out_mlp = mlp([dim] + list(out_mlp) + [dim], 0.0)
        self.out_drop = nn.Dropout(dropout)
        self.out_norm = nn.GroupNorm(heads, dim)
        self.dense_inference = True  # eval: ltae_inference.dense_eval; False = the training path (_forward_masked)

    def forward(self, x: Tensor, dates: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """x (B, T, C, P·n, P·n); dates (B, T) positions for the encoding; mask (B, T, P, P) full validity."""
        b, t, c, hp, wp = x.shape
        n = self.n
        p = hp // n
        if hp != p * n or wp != p * n or mask.shape[-2:] != (p, p):
            raise ValueError(f"series tile {hp}×{wp} px does not match mask {tuple(mask.shape[-2:])} × {n} px")
        # (B, T, C, P, n, P, n) → (B·P·P, T, C·n·n): one sequence per patch, PASTIS-style flattening
        seq = x.reshape(b, t, c, p, n, p, n).permute(0, 3, 5, 1, 2, 4, 6).reshape(b * p * p, t, c * n * n)
        valid = mask.bool().permute(0, 2, 3, 1).reshape(b * p * p, t)
        has_token = valid.any(dim=1)

        if not self.training and self.dense_inference:
            pe = sinusoid(dates, self.dim // self.heads, self.period).repeat(1, 1, self.heads)  # (B, T, D)
            out, attn = dense_eval_chunked(self, seq, pe, valid, has_token, b, p)
            tokens = torch.where(has_token[:, None], token_group_norm(self.out_mlp(out), self.out_norm), 0.0)
        else:
            tokens, attn = self._forward_masked(seq, dates, valid, has_token, b, p, t)

        # per-date attention: mean over heads, then over the tile's patches that have a token
        per_patch = attn.mean(dim=1).reshape(b, p * p, t)
        weight = has_token.reshape(b, p * p, 1).to(per_patch.dtype)
        date_attn = (per_patch * weight).sum(1) / weight.sum(1).clamp_min(1.0)
        return tokens.reshape(b, p * p, self.dim), has_token.reshape(b, p * p), date_attn

    def _forward_masked(self, seq: Tensor, dates: Tensor, valid: Tensor, has_token: Tensor, b: int, p: int,
                        t: int) -> tuple[Tensor, Tensor]:
        """The training path (also the reference for eval): only valid observations and tokens go through the MLPs."""
        h = seq.new_zeros(b * p * p, t, self.dim)
        if bool(has_token.any()):
            obs = _bn_safe(self.in_mlp, seq[valid])
            if self.in_norm is not None and self.norm_scope == "date":
                obs = token_group_norm(obs, self.in_norm)
            elif self.in_norm is not None:
                series = h.clone()
                series[valid] = obs.to(h.dtype)
                z = series_standardise(series, valid, self.in_norm.num_groups, self.in_norm.eps)
                obs = z[valid] * self.in_norm.weight + self.in_norm.bias
            pos = dates.reshape(b, 1, t).expand(b, p * p, t).reshape(b * p * p, t)[valid]
            pe = sinusoid(pos, self.dim // self.heads, self.period).repeat(1, self.heads)
            h[valid] = (obs + pe).to(h.dtype)

        keys = self.key(h).reshape(b * p * p, t, self.heads, self.dk)
        logits = torch.einsum("nthd,hd->nht", keys, self.query) / math.sqrt(self.dk)
        logits = logits.masked_fill(~valid.unsqueeze(1), float("-inf"))
        logits = logits.masked_fill(~has_token.reshape(-1, 1, 1), 0.0)  # no valid date: no NaN, token dropped
        attn = torch.softmax(logits, dim=-1) * valid.unsqueeze(1)
        values = h.reshape(b * p * p, t, self.heads, self.dim // self.heads)
        out = torch.einsum("nht,nthc->nhc", self.attn_drop(attn), values).reshape(b * p * p, self.dim)

        tokens = out.new_zeros(b * p * p, self.dim)
        if bool(has_token.any()):
            tokens[has_token] = token_group_norm(self.out_drop(_bn_safe(self.out_mlp, out[has_token])),
                                                 self.out_norm).to(tokens.dtype)
        return tokens, attn


def ts_validity(batch: dict[str, Tensor], modality: str) -> Tensor:
    """(B, T, P, P) bool: a date is usable at a patch if the mask says so and the date is not padding."""
    doy = batch[f"{modality}_doy"]
    mask = batch.get(f"{modality}_mask")
    if mask is None:
        raise ValueError(f"{modality}_mask missing from the batch")
    return mask.bool() & (doy > 0)[:, :, None, None]


def date_positions(batch: dict[str, Tensor], modality: str, encoding: str) -> Tensor:
    """(B, T) positions of the temporal encoding: day of year 1..366, or days since the series' first date."""
    if encoding == "day_of_year":
        return batch[f"{modality}_doy"]
    if encoding == "days":
        return batch[f"{modality}_days"]
    raise ValueError(f"date encoding {encoding!r}: choose day_of_year or days")
