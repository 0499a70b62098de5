"""Output shapes for every modality subset, batch size 1, every supported aerial patch size, ts_px > 1."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from runner.model import OmniSat, OmniSatClassifier, OmniSatConfig, OmniSatPretrainer, to_tensors, vhr_encoder
from runner.model.vhr_encoder import VHRDecoder, VHREncoder, cnn_layout, max_pool_2x2
from tests.model.conftest import CLASSES, P, make_batch

ALL = ("aerial", "s1", "s2")
SUBSETS = [list(c) for r in (1, 2, 3) for c in itertools.combinations(ALL, r)]


@pytest.fixture(scope="module")
def tiny_models():
    torch.manual_seed(0)
    cfg = OmniSatConfig.for_size("tiny", {"aerial": 4, "s1": 2, "s2": 10}, aerial_px=10)
    return cfg, OmniSatClassifier(cfg, CLASSES).eval(), OmniSatPretrainer(cfg).eval()


@pytest.mark.parametrize("b", [1, 3])
@pytest.mark.parametrize("subset", SUBSETS, ids=lambda s: "+".join(s))
def test_every_subset_and_batch_size(tiny_models, subset, b):
    cfg, clf, pre = tiny_models
    batch = to_tensors(make_batch(np.random.default_rng(b), b=b, t=5, modalities=tuple(subset)))
    with torch.no_grad():
        enc = clf.encoder(batch)
        out = clf(batch)
        losses = pre(batch)
    assert enc.modalities == [m for m in ALL if m in subset]
    assert enc.tile_token.shape == (b, cfg.dim)
    assert enc.patch_tokens.shape == (b, P * P, cfg.dim)
    assert out["patch_logits"].shape == (b, P * P, CLASSES)
    assert out["tile_logits"].shape == (b, CLASSES)
    assert torch.isfinite(out["patch_logits"]).all()
    expected = {"loss", "contrastive"} | {f"rec_{m}" for m in subset}
    expected |= {"retrieval_acc", "retrieval_rank", "retrieval_tile"} if len(subset) > 1 else set()
    assert set(losses) == expected
    assert all(torch.isfinite(v) for v in losses.values())
    if len(subset) == 1:
        assert float(losses["contrastive"]) == 0.0  # no other modality, no positives


def test_requested_subset_ignores_other_inputs(tiny_models):
    _, clf, _ = tiny_models
    batch = to_tensors(make_batch(np.random.default_rng(0), b=2, t=4))
    only_s2 = {k: v for k, v in batch.items() if k.startswith("s2")}
    with torch.no_grad():
        a = clf(batch, modalities=["s2"])["patch_logits"]
        b = clf(only_s2)["patch_logits"]
    assert torch.allclose(a, b, atol=1e-6)
    with pytest.raises(ValueError, match=r"modalities \['s2'\] requested but absent"):
        clf({k: v for k, v in batch.items() if k.startswith("s1")}, modalities=["s2"])
    with pytest.raises(ValueError, match="none of the requested modalities"):
        clf({"labels": batch["labels"]})


@pytest.mark.parametrize("k", [10, 20, 25, 40, 50])
def test_vhr_encoder_and_index_bypass_decoder_sizes(k):
    enc = VHREncoder(4, k, ch=8, dim=16, groups=4).eval()
    dec = VHRDecoder(4, k, ch=8, dim=16)
    x = torch.randn(1, 4, 2 * k, 2 * k)
    tokens, trace = enc(x, tile_patches=2)
    assert tokens.shape == (1, 4, 16)
    assert len(trace.indices) == {10: 2, 20: 3, 25: 3, 40: 4, 50: 4}[k]
    rec = dec(tokens.reshape(4, 16), trace)
    assert rec.shape == (4, 4, k, k)


@pytest.mark.parametrize("k", [25, 50, 80])
def test_encoding_without_pool_indices_gives_the_same_tokens(k):
    """Classifying pools without indices (nothing unpools); the tokens must not change, the adaptive pool too."""
    torch.manual_seed(0)
    enc = VHREncoder(4, k, ch=8, dim=16, groups=4).eval()
    x = torch.randn(2, 4, 2 * k, 2 * k)
    with torch.no_grad():
        traced, trace = enc(x, tile_patches=2)
        plain, none = enc(x, tile_patches=2, trace=False)
    assert trace is not None and none is None
    assert trace.adaptive == (k == 80)
    torch.testing.assert_close(plain, traced, rtol=0, atol=0)


def test_fine_tuning_keeps_max_pool2d_gradients_on_ties():
    """A flat patch ties every 2×2 window; max_pool2d sends each window's gradient to one element."""
    enc = VHREncoder(4, 10, ch=8, dim=16, groups=4).train()
    x = torch.zeros(1, 4, 10, 10, requires_grad=True)
    traced, _ = enc(x, tile_patches=1)
    plain, _ = enc(x, tile_patches=1, trace=False)
    g_traced, = torch.autograd.grad(traced.sum(), x)
    g_plain, = torch.autograd.grad(plain.sum(), x)
    torch.testing.assert_close(g_plain, g_traced, rtol=0, atol=0)


def test_classifier_skips_the_pool_trace_and_the_pretrainer_keeps_it(tiny_models):
    _, clf, pre = tiny_models
    batch = to_tensors(make_batch(np.random.default_rng(0), b=2, t=5))
    with torch.no_grad():
        assert clf.encoder(batch).trace is not None
        assert clf.encoder(batch, pool_trace=False).trace is None
        assert "rec_aerial" in pre(batch)


@pytest.mark.parametrize("side", [2, 3, 6, 25])
@pytest.mark.parametrize("channels_last", [False, True])
def test_strided_max_pool_equals_max_pool2d(side, channels_last):
    torch.manual_seed(side)
    x = torch.randn(3, 5, side, side)
    x[0, 1, 0, 1] = float("nan")
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(max_pool_2x2(x), torch.nn.functional.max_pool2d(x, 2), rtol=0, atol=0, equal_nan=True)
    assert max_pool_2x2(x)[0, 1, 0, 0].isnan()


@pytest.mark.parametrize(("side", "device", "autocast", "isa", "channels_last"), [
    (12, "cpu", False, "AVX512", True),   # fp32 on a CPU: channels-last from 8 px up
    (6, "cpu", False, "AVX512", False),   # oneDNN's blocked layout for small fp32 maps with AVX-512
    (6, "cpu", False, "AVX2", True),      # but not with AVX2 kernels
    (3, "cpu", True, "AVX512", True),     # bf16 (AMX) kernels: channels-last at every size
    (3, "meta", False, "AVX512", True),   # any other device (a GPU): channels-last
])
def test_cnn_layout_picks_the_faster_memory_format(monkeypatch, side, device, autocast, isa, channels_last):
    monkeypatch.setattr(vhr_encoder, "_avx512", lambda: isa == "AVX512")
    x = torch.randn(2, 8, side, side, device=device)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        y = cnn_layout(x)
    assert y.is_contiguous(memory_format=torch.channels_last) == channels_last
    assert y.is_contiguous() != channels_last


def test_base_vhr_matches_paper_pooling():
    enc = VHREncoder(4, 50, ch=256, dim=256)
    assert enc.n_pools == 4 and len(enc.blocks) == 3 and not enc.adaptive


def test_ts_px_flattens_pixels_per_patch():
    cfg = OmniSatConfig.for_size("tiny", {"s2": 10, "s1": 2}, ts_px=2)
    model = OmniSat(cfg).eval()
    batch = to_tensors(make_batch(np.random.default_rng(3), b=2, t=4, n=2, modalities=("s1", "s2")))
    assert batch["s2"].shape == (2, 4, 10, 2 * P, 2 * P)
    assert model.encoders["s2"].in_mlp[0].in_features == 10 * 4
    with torch.no_grad():
        out = model(batch)
    assert out.patch_tokens.shape == (2, P * P, cfg.dim)
    pre = OmniSatPretrainer(cfg).eval()
    with torch.no_grad():
        assert torch.isfinite(pre(batch)["rec_s2"])


def test_modality_dropout_keeps_one_modality_per_sample():
    from runner.model.omnisat import modality_keep

    torch.manual_seed(0)
    keep = modality_keep(500, 3, 0.9, torch.device("cpu"))
    assert keep.any(1).all()
    assert 0.05 < keep.float().mean() < 0.6  # mostly dropped at p = 0.9, never all


def test_days_since_first_date_encoding_reads_the_days_arrays():
    cfg = OmniSatConfig.for_size("tiny", {"s2": 10})
    cfg.date_encoding, cfg.period = "days", 734
    model = OmniSat(cfg).eval()
    batch = make_batch(np.random.default_rng(5), b=2, t=4, modalities=("s2",))
    shifted = dict(batch, s2_doy=np.where(batch["s2_doy"] > 0, 1 + (batch["s2_doy"] + 100) % 365, 0))
    with torch.no_grad():
        a = model(to_tensors(batch)).patch_tokens
        b = model(to_tensors(shifted)).patch_tokens       # day of year changed, days since start not
        c = model(to_tensors(dict(batch, s2_days=batch["s2_days"] * 2))).patch_tokens
    assert torch.allclose(a, b, atol=1e-6) and not torch.allclose(a, c, atol=1e-4)
