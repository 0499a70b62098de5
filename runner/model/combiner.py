"""Modality combiner: shared absolute patch embedding, pre-norm self-attention with relative-position bias,
then cross-attention from P²+1 learned queries (tile token + one per patch).

Tokens that do not exist (a patch with no valid date, a modality dropped for that sample) are excluded as
keys through the attention mask (−inf), so the batch stays rectangular and any modality subset works.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from runner.model.config import OmniSatConfig
from runner.model.relpos import N_BUCKETS, contextual_bias, relative_buckets, token_coords


class DropPath(nn.Module):
    """Stochastic depth: drop a residual branch per sample during training."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p <= 0:
            return x
        keep = x.new_empty(x.shape[0], *([1] * (x.dim() - 1))).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


class Mlp(nn.Sequential):
    def __init__(self, dim: int, ratio: float, drop: float) -> None:
        hidden = int(dim * ratio)
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(drop), nn.Linear(hidden, dim), nn.Dropout(drop))


def _attend(q: Tensor, k: Tensor, v: Tensor, table: Tensor, buckets: Tensor, excluded: Tensor,
            attn_drop: float) -> Tensor:
    """Attention with the contextual relative bias and −inf on excluded keys as one float attention mask.

    SDPA when training or on a GPU; without autograd or dropout on a CPU, three plain batched ops instead: with
    16-wide heads and at most a few hundred tokens, SDPA's flash kernel costs more than the whole attention
    (the figures: docs/performance.md)."""
    scaled = q * q.shape[-1] ** -0.5
    bias = contextual_bias(scaled, table.to(q.dtype), buckets)
    if q.device.type == "cpu" and not torch.is_grad_enabled() and attn_drop == 0.0:
        return _attend_eval_cpu(scaled, k, v, bias, excluded)
    bias = bias.masked_fill(excluded[:, None, None, :], float("-inf"))
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype), dropout_p=attn_drop)


def _attend_eval_cpu(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, excluded: Tensor) -> Tensor:
    """softmax(q kᵀ + bias) v for already scaled q, as baddbmm → fp32 softmax → bmm (no dropout: eval only)."""
    b, h, lq, dh = q.shape
    lk = k.shape[2]
    if bool(excluded.any()):  # usually nothing is: skip a pass over the (B, H, Lq, Lk) logits
        bias = bias.masked_fill(excluded[:, None, None, :], float("-inf"))
    logits = torch.baddbmm(bias.reshape(b * h, lq, lk), q.reshape(b * h, lq, dh), k.reshape(b * h, lk, dh).mT)
    weights = torch.softmax(logits, dim=-1, dtype=torch.float32).to(v.dtype)
    return torch.bmm(weights, v.reshape(b * h, lk, dh)).view(b, h, lq, dh)


class SelfBlock(nn.Module):
    """Pre-norm transformer block whose attention logits gain the relative-position term."""

    def __init__(self, dim: int, heads: int, ratio: float, drop: float, attn_drop: float, drop_path: float) -> None:
        super().__init__()
        self.heads, self.attn_drop = heads, attn_drop
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(drop)
        self.rpe = nn.Parameter(torch.zeros(N_BUCKETS, dim // heads))
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, ratio, drop)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: Tensor, buckets: Tensor, excluded: Tensor) -> Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = _attend(q, k, v, self.rpe, buckets, excluded, self.attn_drop if self.training else 0.0)
        x = x + self.drop_path(self.proj_drop(self.proj(a.transpose(1, 2).reshape(b, n, d))))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class CrossBlock(nn.Module):
    """Learned queries (tile + per patch) attend to all tokens; no residual on attention (queries ≠ keys)."""

    def __init__(self, dim: int, heads: int, n_queries: int, ratio: float, drop: float, attn_drop: float,
                 drop_path: float, residual: bool = True) -> None:
        super().__init__()
        self.heads, self.attn_drop, self.residual = heads, attn_drop, residual
        self.query = nn.Parameter(torch.zeros(1, 1, dim))
        self.query_pos = nn.Parameter(torch.zeros(1, n_queries, dim))
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(drop)
        self.rpe = nn.Parameter(torch.zeros(N_BUCKETS, dim // heads))
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, ratio, drop)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: Tensor, buckets: Tensor, excluded: Tensor) -> Tensor:
        b, n, d = x.shape
        h, dh = self.heads, d // self.heads
        nq = self.query_pos.shape[1]
        q = (self.query + self.query_pos).expand(b, nq, d).reshape(b, nq, h, dh).transpose(1, 2)
        y = self.norm1(x)
        k = self.k(y).reshape(b, n, h, dh).transpose(1, 2)
        v = self.v(y).reshape(b, n, h, dh).transpose(1, 2)
        a = _attend(q.to(k.dtype), k, v, self.rpe, buckets, excluded, self.attn_drop if self.training else 0.0)
        out = self.proj_drop(self.proj(a.transpose(1, 2).reshape(b, nq, d)))
        if self.residual:
            out = out + own_tokens(x, excluded, nq - 1)
        return out + self.drop_path(self.mlp(self.norm2(out)))


def own_tokens(x: Tensor, excluded: Tensor, p2: int) -> Tensor:
    """(B, 1+P², D): the tile token, then per patch the mean of its present modality tokens (0 if none)."""
    b, n, d = x.shape
    m = (n - 1) // p2
    tok = x[:, 1:].reshape(b, m, p2, d)
    w = (~excluded[:, 1:]).reshape(b, m, p2, 1).to(x.dtype)
    mean = (tok * w).sum(1) / w.sum(1).clamp_min(1.0)
    return torch.cat([x[:, :1], mean], dim=1)


class Combiner(nn.Module):
    """Tokens of M modalities (B, M·P², D) → tile token (B, D) and fused per-patch tokens f*_p (B, P², D)."""

    def __init__(self, cfg: OmniSatConfig) -> None:
        super().__init__()
        d, p2 = cfg.dim, cfg.n_patches
        self.tile_patches = cfg.tile_patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, p2 + 1, d))
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        rates = torch.linspace(0, cfg.drop_path, cfg.depth).tolist() if cfg.depth > 1 else [0.0] * cfg.depth
        self.blocks = nn.ModuleList(SelfBlock(d, cfg.heads, cfg.mlp_ratio, cfg.dropout, cfg.attn_dropout, r)
                                    for r in rates)
        self.cross = CrossBlock(d, cfg.heads, p2 + 1, cfg.mlp_ratio, cfg.dropout, cfg.attn_dropout,
                                cfg.cross_drop_path, cfg.cross_residual)

    def forward(self, tokens: Tensor, excluded: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """tokens (B, M·P², D) modality-major; excluded (B, M·P²) True = not a key; mask True = masked token."""
        b, n, d = tokens.shape
        p2 = self.pos_embed.shape[1] - 1
        m = n // p2
        x = tokens + self.pos_embed[:, 1:].repeat(1, m, 1)
        if mask is not None:
            x = torch.where(mask.unsqueeze(-1), self.mask_token.to(x.dtype), x)
        x = torch.cat([(self.cls_token + self.pos_embed[:, :1]).expand(b, 1, d).to(x.dtype), x], dim=1)
        excluded = torch.cat([excluded.new_zeros(b, 1), excluded], dim=1)
        coords = token_coords(self.tile_patches, m, device=x.device)
        buckets = relative_buckets(coords, coords)
        for blk in self.blocks:
            x = blk(x, buckets, excluded)
        q_coords = token_coords(self.tile_patches, 1, device=x.device)
        out = self.cross(x, relative_buckets(q_coords, coords), excluded)
        return out[:, 0], out[:, 1:]
