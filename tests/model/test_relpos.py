"""Relative positions come from patch coordinates: distance 0 across modalities of one patch."""

from __future__ import annotations

import torch

from runner.model.relpos import TILE_BUCKET, contextual_bias, relative_buckets, token_coords

P = 6


def test_same_patch_in_every_modality_is_bucket_zero():
    coords = token_coords(P, 3)
    buckets = relative_buckets(coords, coords)
    assert buckets.shape == (1 + 3 * P * P,) * 2
    for p in range(P * P):
        idx = [1 + m * P * P + p for m in range(3)]
        assert (buckets[idx][:, idx] == 0).all()


def test_buckets_by_euclidean_distance_and_tile_bucket():
    coords = token_coords(P, 2)
    b = relative_buckets(coords, coords)
    at = {(r, c): 1 + r * P + c for r in range(P) for c in range(P)}
    s2 = P * P  # offset of the second modality
    assert b[at[0, 0], at[0, 1] + s2] == 1      # neighbour in the other modality
    assert b[at[0, 0], at[1, 1]] == 1          # √2 rounds to 1
    assert b[at[0, 0], at[2, 2]] == 2          # √8 ≈ 2.83 → 3 → bucket {2-3}
    assert b[at[0, 0], at[0, 4]] == 3
    assert b[at[0, 0], at[5, 5] + s2] == 3
    assert (b[0] == TILE_BUCKET).all() and (b[:, 0] == TILE_BUCKET).all()


def test_cross_attention_queries_see_every_modality_of_their_patch_at_zero():
    keys = token_coords(P, 3)
    queries = token_coords(P, 1)
    b = relative_buckets(queries, keys)
    for p in range(P * P):
        assert all(b[1 + p, 1 + m * P * P + p] == 0 for m in range(3))


def test_contextual_bias_is_query_dot_bucket_vector():
    torch.manual_seed(0)
    q = torch.randn(2, 3, 4, 8)
    table = torch.randn(5, 8)
    buckets = torch.randint(0, 5, (4, 6))
    bias = contextual_bias(q, table, buckets)
    expect = torch.einsum("bhid,ijd->bhij", q, table[buckets])
    assert torch.allclose(bias, expect, atol=1e-6)
