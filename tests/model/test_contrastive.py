"""The block-mask contrastive loss equals a slow explicit computation of §8.1."""

from __future__ import annotations

import math

import torch

from runner.model.losses import contrastive_loss, grouped_standardise, retrieval_accuracy


def _lse(anchor: torch.Tensor, z: torch.Tensor, keys: list, tau: float) -> float:
    return math.log(sum(math.exp(float(anchor @ z[k]) / tau) for k in keys))


def slow_loss(tokens: torch.Tensor, exists: torch.Tensor, tau: float) -> float:
    b_, m_, p_, _ = tokens.shape
    z = torch.nn.functional.normalize(tokens.double(), dim=-1)
    items = [(b, m, p) for b in range(b_) for m in range(m_) for p in range(p_) if exists[b, m, p]]
    terms = []
    for b, m, p in items:
        pos = [(b2, m2, p2) for (b2, m2, p2) in items if b2 == b and p2 == p and m2 != m]
        if not pos:
            continue
        den = [(b2, m2, p2) for (b2, m2, p2) in items if not (b2 == b and m2 == m)]

        anchor = z[b, m, p]
        terms.append(_lse(anchor, z, den, tau) - _lse(anchor, z, pos, tau))
    return sum(terms) / len(terms)


def test_matches_explicit_loop():
    torch.manual_seed(0)
    tokens = torch.randn(3, 3, 4, 8)
    exists = torch.rand(3, 3, 4) > 0.25
    fast = contrastive_loss(tokens, exists, tau=0.1)
    assert math.isclose(float(fast), slow_loss(tokens, exists, 0.1), rel_tol=1e-5)


def test_aligned_tokens_score_lower_than_random():
    torch.manual_seed(1)
    base = torch.randn(4, 1, 9, 16)
    aligned = base.repeat(1, 3, 1, 1) + 0.05 * torch.randn(4, 3, 9, 16)
    exists = torch.ones(4, 3, 9, dtype=torch.bool)
    assert contrastive_loss(aligned, exists) < contrastive_loss(torch.randn(4, 3, 9, 16), exists) - 1.0


def test_token_budget_subsamples_whole_patch_groups():
    torch.manual_seed(2)
    tokens = torch.randn(8, 3, 36, 16, requires_grad=True)
    exists = torch.ones(8, 3, 36, dtype=torch.bool)
    loss = contrastive_loss(tokens, exists, max_tokens=90)
    loss.backward()
    used = (tokens.grad.abs().sum(-1) > 0)          # (B, M, P²) tokens that entered the loss
    assert 0 < int(used.sum()) <= 90
    assert bool((used.all(1) == used.any(1)).all())  # all modalities of a chosen patch together


def test_band_group_standardisation():
    torch.manual_seed(3)
    x = torch.randn(2, 5, 4, 10, 1) * torch.linspace(1, 20, 10).reshape(1, 1, 1, 10, 1) + 7
    valid = torch.rand(2, 5, 4) > 0.3
    valid[:, 0] = True
    groups = [[0, 1, 2, 6], [3, 4, 5, 7], [8, 9]]
    out = grouped_standardise(x, valid, groups)
    for g in groups:
        sel = out[:, :, :, g]
        w = valid[..., None, None].expand_as(sel)
        for b in range(2):
            for p in range(4):
                vals = sel[b, :, p][w[b, :, p]]
                assert abs(float(vals.mean())) < 1e-4
                assert abs(float(vals.var(unbiased=False)) - 1) < 1e-2


def test_retrieval_accuracy_finds_the_same_patch_in_other_modalities():
    torch.manual_seed(4)
    base = torch.randn(3, 1, 9, 16)
    aligned = base.repeat(1, 3, 1, 1) + 0.01 * torch.randn(3, 3, 9, 16)
    exists = torch.ones(3, 3, 9, dtype=torch.bool)
    assert retrieval_accuracy(aligned, exists) == 1.0
    assert retrieval_accuracy(torch.randn(3, 3, 9, 16), exists) < 0.3


def test_rank_and_tile_retrieval_show_alignment_that_exact_retrieval_cannot():
    """Every patch of a tile is one field (identical within the tile) and each modality sees it: exact-patch
    retrieval cannot tell a field's patches apart, but the positive ranks first among its look-alikes and the
    best match of another modality lies in the anchor's own tile."""
    from runner.model.losses import retrieval_metrics

    torch.manual_seed(5)
    fields = torch.randn(8, 1, 1, 32).expand(8, 3, 16, 32)                   # 8 tiles × 3 modalities × 16 patches
    aligned = fields + 0.01 * torch.randn(8, 3, 16, 32)
    exists = torch.ones(8, 3, 16, dtype=torch.bool)
    good = retrieval_metrics(aligned, exists)
    assert good["retrieval_acc"] < 0.3
    assert good["retrieval_rank"] > 0.95
    assert good["retrieval_tile"] == 1.0
    chance = retrieval_metrics(torch.randn(8, 3, 16, 32), exists)
    assert 0.35 < chance["retrieval_rank"] < 0.65
    assert chance["retrieval_tile"] < 0.4
