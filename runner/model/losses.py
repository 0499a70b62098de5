"""Losses: MIL-NCE contrastive (§8.1), masked reconstruction with grouped targets (§8.4, §13), classification.

The contrastive loss is built from block masks (same tile × same modality) on one similarity matrix, never
loops; a token budget subsamples whole (tile, patch) groups so positives survive the subsampling.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

EPS_TARGET = 1e-4


def _token_sets(tokens: Tensor, exists: Tensor, max_tokens: int | None, generator: torch.Generator | None
                ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor] | None:
    """Normalised existing tokens and their masks: (z (N, D), anchor (N,), same_tile_mod (A, N), positive (A, N),
    tile (N,), modality (N,)).

    The token budget keeps whole (tile, patch) groups, so subsampling never separates positives.
    """
    b, m, p2, d = tokens.shape
    if m < 2:
        return None
    z = F.normalize(tokens.float(), dim=-1).permute(0, 2, 1, 3).reshape(b * p2, m, d)  # group (b, p)
    ex = exists.permute(0, 2, 1).reshape(b * p2, m)
    groups = torch.nonzero(ex.any(1)).squeeze(1)
    if max_tokens is not None and groups.numel() * m > max_tokens:
        keep = max(1, max_tokens // m)
        groups = groups[torch.randperm(groups.numel(), generator=generator, device="cpu")[:keep].to(groups.device)]
    exf = ex[groups].reshape(-1)
    if int(exf.sum()) < 2:
        return None
    zf = z[groups].reshape(-1, d)[exf]
    tile = torch.div(groups, p2, rounding_mode="floor").repeat_interleave(m)[exf]
    patch = groups.repeat_interleave(m)[exf]  # the (b, p) group id doubles as patch identity
    mod = torch.arange(m, device=z.device).repeat(groups.numel())[exf]
    anchor = ex[groups].sum(1).repeat_interleave(m)[exf] >= 2  # tokens with at least one positive
    if not bool(anchor.any()):
        return None
    same_tile_mod = (tile[anchor, None] == tile[None, :]) & (mod[anchor, None] == mod[None, :])
    positive = (patch[anchor, None] == patch[None, :]) & (mod[anchor, None] != mod[None, :])
    return zf, anchor, same_tile_mod, positive, tile, mod


def contrastive_loss(tokens: Tensor, exists: Tensor, tau: float = 0.1, max_tokens: int | None = None,
                     generator: torch.Generator | None = None) -> Tensor:
    """tokens (B, M, P², D) raw encoder tokens, exists (B, M, P²) → mean MIL-NCE over anchors.

    Positives of (b, m, p): (b, m', p) for m' ≠ m. Denominator: every existing token except the same tile's
    same-modality tokens (itself included). Anchors are existing tokens with at least one positive.
    """
    sets = _token_sets(tokens, exists, max_tokens, generator)
    if sets is None:
        return tokens.sum() * 0.0
    zf, anchor, same_tile_mod, positive, _, _ = sets
    with torch.autocast(device_type=zf.device.type, enabled=False):  # bf16 logits / 0.1 lose too much
        logits = zf[anchor] @ zf.t() / tau
    neg_inf = torch.finfo(logits.dtype).min
    denom = torch.logsumexp(logits.masked_fill(same_tile_mod, neg_inf), dim=1)
    numer = torch.logsumexp(logits.masked_fill(~positive, neg_inf), dim=1)
    return (denom - numer).mean()


def retrieval_metrics(tokens: Tensor, exists: Tensor, max_tokens: int | None = None) -> dict[str, float]:
    """§8.1 validation, three figures over the same candidates as the contrastive loss (the same tile's
    same-modality tokens excluded):

    - `retrieval_acc`: share of each anchor's positives (its patch in the other modalities) found among its
      top-|positives| candidates. Exact-patch retrieval: where neighbouring 10 m patches of one field look alike
      in every modality, it stays near chance however well the encoders align, so it cannot show progress;
    - `retrieval_rank`: the positives' mean rank score, 1 − rank / (candidates − 1): 1 = ranked first, 0.5 =
      chance. It rewards a positive ranked among a field's look-alikes, so it rises as the modalities align;
    - `retrieval_tile`: share of anchors whose most similar token of another modality lies in their own tile
      (chance ≈ 1 / tiles in the batch): is the same place found, if not the same patch.
    """
    sets = _token_sets(tokens, exists, max_tokens, None)
    if sets is None:
        return {}
    zf, anchor, same_tile_mod, positive, tile, mod = sets
    sim = (zf[anchor] @ zf.t()).masked_fill(same_tile_mod, float("-inf"))
    n_pos = positive.sum(1)
    order = sim.argsort(dim=1, descending=True)
    ranks = torch.arange(sim.shape[1], device=sim.device).expand_as(sim)
    hits = torch.gather(positive, 1, order) & (ranks < n_pos[:, None])
    candidates = (~same_tile_mod).sum(1)
    # rank of each positive = candidates strictly more similar than it (excluded ones are −inf, never above)
    above = sim.shape[1] - torch.searchsorted(sim.sort(dim=1).values, sim.contiguous(), right=True)
    rank = (above * positive).sum(1).float() / n_pos.float()
    rank_score = 1.0 - rank / (candidates - 1).clamp_min(1).float()
    other_mod = mod[anchor, None] != mod[None, :]
    best = sim.masked_fill(~other_mod, float("-inf")).argmax(1)
    same_tile = tile[best] == tile[anchor]
    return {"retrieval_acc": float((hits.sum(1).float() / n_pos.float()).mean()),
            "retrieval_rank": float(rank_score.mean()), "retrieval_tile": float(same_tile.float().mean())}


def retrieval_accuracy(tokens: Tensor, exists: Tensor, max_tokens: int | None = None) -> float:
    """Exact-patch retrieval alone (`retrieval_metrics`' `retrieval_acc`), nan when nothing can be retrieved."""
    return retrieval_metrics(tokens, exists, max_tokens).get("retrieval_acc", float("nan"))


def grouped_standardise(x: Tensor, valid: Tensor, groups: list[list[int]]) -> Tensor:
    """Standardise series targets per (tile, patch) and per band group over that patch's valid observations.

    x (B, T, P², C, n²), valid (B, T, P²) → same shape; statistics over dates × group bands × pixels.
    """
    out = torch.empty_like(x)
    w = valid.to(x.dtype)[..., None, None]
    for g in groups:
        xg = x[:, :, :, g]
        count = (w.sum(1, keepdim=True) * xg.shape[3] * xg.shape[4]).clamp_min(1.0)
        mean = (xg * w).sum((1, 3, 4), keepdim=True) / count
        var = (((xg - mean) ** 2) * w).sum((1, 3, 4), keepdim=True) / count
        out[:, :, :, g] = (xg - mean) / torch.sqrt(var + EPS_TARGET)
    return out


def series_reconstruction_loss(pred: Tensor, series: Tensor, valid: Tensor, selected: Tensor, masked: Tensor,
                               groups: list[list[int]], ts_px: int) -> Tensor:
    """MSE on grouped-standardised targets at selected dates, valid observations of masked patches only.

    pred (B, T, P², C·n²); series (B, T, C, P·n, P·n); valid (B, T, P, P); selected (B, T); masked (B, P²).
    """
    b, t, c, hp, _ = series.shape
    n = ts_px
    p = hp // n
    x = series.reshape(b, t, c, p, n, p, n).permute(0, 1, 3, 5, 2, 4, 6).reshape(b, t, p * p, c, n * n)
    v = valid.reshape(b, t, p * p)
    target = grouped_standardise(x.float(), v, groups).reshape(b, t, p * p, c * n * n)
    err = ((pred.float() - target) ** 2).mean(-1)
    weight = (v & selected[:, :, None] & masked[:, None, :]).to(err.dtype)
    return (err * weight).sum() / weight.sum().clamp_min(1.0)


def vhr_reconstruction_loss(pred: Tensor, aerial: Tensor, tile_patches: int) -> Tensor:
    """MSE over all patches (parity, quirk 10) with each patch standardised over C×k×k (MAE style).

    pred (B·P², C, k, k) patch-major, aerial (B, C, P·k, P·k).
    """
    b, c, h, _ = aerial.shape
    p = tile_patches
    k = h // p
    x = aerial.reshape(b, c, p, k, p, k).permute(0, 2, 4, 1, 3, 5).reshape(b * p * p, c, k, k).float()
    mean = x.mean((1, 2, 3), keepdim=True)
    var = x.var((1, 2, 3), keepdim=True, unbiased=False)
    target = (x - mean) / torch.sqrt(var + EPS_TARGET)
    return ((pred.float() - target) ** 2).mean()


def classification_loss(out: dict[str, Tensor], batch: dict[str, Tensor],
                        class_weights: Tensor | None = None) -> Tensor:
    """Per-patch cross-entropy (ignore −1, optional class weights) + tile multi-label BCE when labels exist."""
    loss = out["patch_logits"].new_zeros(())
    if "labels" in batch:
        logits = out["patch_logits"].float()
        labels = batch["labels"].reshape(logits.shape[0], -1)
        if bool((labels >= 0).any()):
            w = class_weights.to(logits.device) if class_weights is not None else None
            loss = loss + F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), weight=w,
                                          ignore_index=-1)
    if "tile_labels" in batch:
        loss = loss + F.binary_cross_entropy_with_logits(out["tile_logits"].float(), batch["tile_labels"].float())
    return loss
