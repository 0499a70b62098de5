"""The LTAE's eval-mode forward, rewritten for speed with the training path's results (to float rounding).

Why: in S1/S2-only inference most of the time went to elementwise passes over the (patch, date) × 256 activations
that feed the attention (GroupNorm over 16-channel groups, its affine, the date encoding, the padding mask, a
256→128 key projection reduced to one logit per head). The attention only needs, per (patch, date) row, the
normalised activations `z` and one logit per head, so:

* in fp32 the group statistics come from two small matmuls against a block-averaging matrix
  (`group_standardise`), faster there than `F.layer_norm` over rows of 16 channels; in bf16, whose broadcasting
  subtract and multiply are slow on a CPU, `F.layer_norm` (fp32 inside) is faster;
* the key projection and the fixed query fold into one `dim × heads` matrix (`logit_weights`): for head k,
  `key(h)_k · q_k = h · (W_k^T q_k) + b_k · q_k`; the GroupNorm affine and the date encoding, being per channel
  and per (tile, date), move onto that small matrix and onto the (tile, date) level;
* the attention-weighted values use `z` directly: `Σ_t a_t (γ z_t + β + pe_t) = γ Σ_t a_t z_t + β Σ_t a_t +
  Σ_t a_t pe_t`, so the affine and the encoding are applied once per patch, not once per observation;
* padding is zeroed at the 10-channel input, not at the 256-channel activations: padded rows stay finite and
  get zero attention weight, as in the training path which never embeds them.

Dropout is the identity in eval mode, so nothing else differs. `dense_eval_chunked` runs this a few tiles at a
time: every step above is a full pass over the (patch, date) × 256 activations, and at 32 tiles those are 59 MB,
so each pass streamed from memory; chunks of ~2 M values (8 MB in fp32) stay in cache between passes (results equal to
float rounding; the figures are in docs/performance.md).
`tests/model/test_inference_paths.py` checks this path against the training path on a trained model, with cloudy
dates and NaN in padded observations, and the chunked pass against the single one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from runner.model.series_norm import series_standardise

# `ltae` below is a runner.model.ltae.LTAE; not imported, since that module imports this one
LTAE = nn.Module


def group_standardise(y: Tensor, groups: int, eps: float) -> Tensor:
    """(N, C) rows standardised within `groups` contiguous channel groups (GroupNorm without its affine)."""
    n, c = y.shape
    width = c // groups
    if y.dtype != torch.float32:
        return F.layer_norm(y.view(n, groups, width), (width,), eps=eps).view(n, c)
    average = torch.zeros(c, groups, dtype=y.dtype, device=y.device)
    average.view(groups, width, groups).diagonal(dim1=0, dim2=2).fill_(1.0 / width)  # block-averaging matrix
    centred = y.view(n, groups, width) - (y @ average).unsqueeze(-1)
    variance = (centred * centred).view(n, c) @ average
    return (centred * torch.rsqrt(variance + eps).unsqueeze(-1)).view(n, c)


def logit_weights(ltae: LTAE) -> tuple[Tensor, Tensor]:
    """(dim, heads) matrix and (heads,) offset with `h @ W + c` = the reference's per-head key·query / √dk."""
    heads, dk = ltae.heads, ltae.dk
    w = ltae.key.weight.view(heads, dk, -1)                                     # (heads, dk, dim)
    weight = torch.einsum("hkd,hk->dh", w, ltae.query) / math.sqrt(dk)
    bias = torch.einsum("hk,hk->h", ltae.key.bias.view(heads, dk), ltae.query) / math.sqrt(dk)
    return weight, bias


# values of the widest (patch, date) activation per chunk: 2 M = 8 MB in fp32, measured best of 1-8 MB multiples
CHUNK_VALUES = 2 * 1024 * 1024


def chunk_tiles(p: int, t: int, width: int, budget: int = CHUNK_VALUES) -> int:
    """Tiles per chunk so one (patch, date) × `width` activation of a chunk holds about `budget` values (≥ 1)."""
    return max(1, budget // max(1, p * p * t * width))


def dense_eval_chunked(ltae: LTAE, seq: Tensor, pe: Tensor, valid: Tensor, has_token: Tensor,
                       b: int, p: int) -> tuple[Tensor, Tensor]:
    """`dense_eval` over groups of whole tiles (the date encoding is per tile), results concatenated."""
    t = seq.shape[1]
    # the in-MLP ends at `dim`, its widest layer; on a GPU one pass (larger kernels, no cache to stay in)
    step = chunk_tiles(p, t, ltae.dim, CHUNK_VALUES) if seq.device.type == "cpu" else b
    if step >= b:
        return dense_eval(ltae, seq, pe, valid, has_token, b, p)
    outs, attns = [], []
    for i in range(0, b, step):
        j = min(b, i + step)
        rows = slice(i * p * p, j * p * p)
        out, attn = dense_eval(ltae, seq[rows], pe[i:j], valid[rows], has_token[rows], j - i, p)
        outs.append(out)
        attns.append(attn)
    return torch.cat(outs), torch.cat(attns)


def dense_eval(ltae: LTAE, seq: Tensor, pe: Tensor, valid: Tensor, has_token: Tensor,
               b: int, p: int) -> tuple[Tensor, Tensor]:
    """seq (N, T, C·n·n) with N = B·P², pe (B, T, D) date encoding, valid (N, T), has_token (N)
    → attention output (N, D) before the output MLP, attention (N, heads, T)."""
    n_seq, t, _ = seq.shape
    heads, dim = ltae.heads, ltae.dim
    width = dim // heads
    x = torch.where(valid.unsqueeze(-1), seq, 0.0)
    y = ltae.in_mlp(x.reshape(n_seq * t, -1))
    if ltae.in_norm is not None and ltae.norm_scope == "series":
        z = series_standardise(y.view(n_seq, t, dim), valid, ltae.in_norm.num_groups, ltae.in_norm.eps)
        z = z.view(n_seq * t, dim)
        gamma, beta = ltae.in_norm.weight, ltae.in_norm.bias
    elif ltae.in_norm is not None:
        z = group_standardise(y, ltae.in_norm.num_groups, ltae.in_norm.eps)
        gamma, beta = ltae.in_norm.weight, ltae.in_norm.bias
    else:
        z = y
        gamma, beta = torch.ones_like(y[0]), torch.zeros_like(y[0])
    pe = pe.to(z.dtype)

    weight, bias = logit_weights(ltae)
    per_date = pe @ weight + (beta @ weight + bias)                                   # (B, T, heads)
    logits = (z @ (gamma.unsqueeze(1) * weight)).view(b, p * p, t, heads) + per_date.unsqueeze(1)
    logits = logits.reshape(n_seq, t, heads).transpose(1, 2)                           # (N, heads, T)
    logits = logits.masked_fill(~valid.unsqueeze(1), float("-inf"))
    logits = logits.masked_fill(~has_token.reshape(-1, 1, 1), 0.0)
    attn = torch.softmax(logits, dim=-1) * valid.unsqueeze(1)

    # Σ_t a[k, t] z[t, group k]: one bmm over all groups, keep the matching (head, group) blocks
    pooled = torch.bmm(attn, z.view(n_seq, t, dim)).view(n_seq, heads, heads, width)
    pooled = pooled.diagonal(dim1=1, dim2=2).transpose(1, 2)                           # (N, heads, width)
    pe_pooled = torch.einsum("bpht,bthc->bphc", attn.view(b, p * p, heads, t), pe.view(b, t, heads, width))
    out = (pooled * gamma.view(heads, width) + pe_pooled.reshape(n_seq, heads, width)
           + attn.sum(-1, keepdim=True) * beta.view(heads, width))
    return out.reshape(n_seq, dim), attn
