"""The combiner's CPU inference attention (baddbmm → softmax → bmm) gives SDPA's answers."""

from __future__ import annotations

import pytest
import torch

from runner.model.combiner import _attend
from runner.model.relpos import relative_buckets, token_coords


def _inputs(b: int = 3, heads: int = 4, dh: int = 16, modalities: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    coords = token_coords(3, modalities)
    n = coords.shape[0]
    q, k, v = (torch.randn(b, heads, n, dh, generator=g) for _ in range(3))
    table = torch.randn(5, dh, generator=g)
    excluded = torch.zeros(b, n, dtype=torch.bool)
    excluded[0, 3] = excluded[2, 5:9] = True   # a patch without token, a dropped block
    return q, k, v, table, relative_buckets(coords, coords), excluded


@pytest.mark.parametrize("with_excluded", [True, False])
def test_eval_cpu_attention_equals_sdpa(with_excluded) -> None:
    q, k, v, table, buckets, excluded = _inputs()
    if not with_excluded:
        excluded[:] = False
    with torch.enable_grad():
        sdpa = _attend(q, k, v, table, buckets, excluded, 0.0)
    with torch.inference_mode():
        fast = _attend(q, k, v, table, buckets, excluded, 0.0)
    torch.testing.assert_close(fast, sdpa, atol=1e-5, rtol=1e-4)


def test_excluded_keys_get_no_weight_on_the_eval_path() -> None:
    q, k, v, table, buckets, excluded = _inputs()
    with torch.inference_mode():
        before = _attend(q, k, v, table, buckets, excluded, 0.0)
        v2 = v.clone()
        v2[0, :, 3] = 1e6            # an excluded key's value may be anything
        after = _attend(q, k, v2, table, buckets, excluded, 0.0)
        v2[1, :, 3] = 1e6            # a present one changes the answer
        changed = _attend(q, k, v2, table, buckets, excluded, 0.0)
    torch.testing.assert_close(after, before)
    assert not torch.allclose(changed[1], before[1])


def test_eval_cpu_attention_under_bf16_autocast_stays_close() -> None:
    q, k, v, table, buckets, excluded = _inputs()
    with torch.enable_grad():
        sdpa = _attend(q, k, v, table, buckets, excluded, 0.0)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        low = _attend(q.bfloat16(), k.bfloat16(), v.bfloat16(), table, buckets, excluded, 0.0)
    assert low.dtype == torch.bfloat16
    torch.testing.assert_close(low.float(), sdpa, atol=0.05, rtol=0.05)


def test_dropout_without_autograd_still_drops() -> None:
    """A training-mode forward under no_grad keeps its attention dropout (SDPA path), the eval path has none."""
    q, k, v, table, buckets, excluded = _inputs()
    with torch.no_grad():
        plain = _attend(q, k, v, table, buckets, excluded, 0.0)
        torch.manual_seed(0)
        dropped = _attend(q, k, v, table, buckets, excluded, 0.5)
    assert not torch.allclose(dropped, plain, atol=1e-3)
