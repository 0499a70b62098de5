"""The inference fast paths give the training path's answers: the rewritten eval LTAE, BatchNorms folded,
Linear → ReLU fused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from runner.model import OmniSatClassifier, OmniSatConfig, fuse, to_tensors
from runner.model.fuse import (
    ConvGELU,
    LinearReLU,
    fold_batchnorms,
    fuse_activation_pairs,
    prepare_for_inference,
)
from runner.model.ltae import LTAE
from tests.model.conftest import CLASSES, make_batch


@pytest.fixture(scope="module")
def trained_ish() -> tuple[OmniSatClassifier, dict]:
    """A tiny classifier after a few training steps, so BatchNorm running statistics are not the identity."""
    torch.manual_seed(0)
    cfg = OmniSatConfig.for_size("tiny", aerial_px=4)
    model = OmniSatClassifier(cfg, CLASSES)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    for _ in range(3):
        t = to_tensors(make_batch(rng, b=4, k=4, t=6))
        loss = model.loss(model(t), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), to_tensors(make_batch(np.random.default_rng(1), b=3, k=4, t=6, cloud=0.4))


def _logits(model: OmniSatClassifier, batch: dict, modalities=None) -> torch.Tensor:
    with torch.inference_mode():
        return model(batch, modalities)["patch_logits"]


@pytest.mark.parametrize("modalities", [None, ["s2"], ["s1", "s2"]])
def test_dense_ltae_equals_the_masked_path(trained_ish, modalities) -> None:
    model, batch = trained_ish
    dense = _logits(model, batch, modalities)
    for m in model.modules():
        if isinstance(m, LTAE):
            m.dense_inference = False
    try:
        masked = _logits(model, batch, modalities)
    finally:
        for m in model.modules():
            if isinstance(m, LTAE):
                m.dense_inference = True
    torch.testing.assert_close(dense, masked, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("tiles_per_chunk", [1, 2])
def test_chunked_dense_ltae_gives_the_one_pass_answer(trained_ish, monkeypatch, tiles_per_chunk) -> None:
    """3 tiles in chunks of 1 or 2 (the last one short): same tokens, has_token and date attention."""
    from runner.model import ltae_inference

    model, batch = trained_ish
    enc = model.encoder.encoders["s2"]
    series = (batch["s2"], batch["s2_doy"], batch["s2_mask"])
    with torch.inference_mode():
        one_pass = enc(*series)
        t, p2 = batch["s2"].shape[1], batch["s2_mask"].shape[-1] ** 2
        monkeypatch.setattr(ltae_inference, "CHUNK_VALUES", tiles_per_chunk * p2 * t * enc.dim)
        assert ltae_inference.chunk_tiles(batch["s2_mask"].shape[-1], t, enc.dim,
                                          ltae_inference.CHUNK_VALUES) == tiles_per_chunk
        chunked = enc(*series)
    assert batch["s2"].shape[0] == 3
    for a, b in zip(one_pass, chunked, strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_group_standardise_is_group_norm_without_affine(dtype) -> None:
    """Both ways of computing it (block-averaging matmuls in fp32, layer_norm in bf16) against GroupNorm."""
    from runner.model.ltae_inference import group_standardise

    torch.manual_seed(0)
    y = torch.relu(torch.randn(500, 64) * 2 + 0.5)
    expected = torch.nn.functional.group_norm(y, 4, eps=1e-5)
    got = group_standardise(y.to(dtype), 4, 1e-5)
    assert got.dtype == dtype
    tol = {"atol": 1e-5, "rtol": 1e-4} if dtype == torch.float32 else {"atol": 0.05, "rtol": 0.02}
    torch.testing.assert_close(got.float(), expected, **tol)


@pytest.mark.parametrize(("device", "passes"), [("cpu", 3), ("meta", 1)])
def test_only_cpu_inference_is_chunked(monkeypatch, device, passes) -> None:
    """Chunks are for CPU caches; elsewhere (a GPU; `meta` stands in here) the LTAE runs in one pass."""
    from runner.model import ltae_inference

    calls: list[int] = []

    def one_pass(ltae, seq, pe, valid, has_token, b, p):
        calls.append(b)
        return seq.new_zeros(seq.shape[0], ltae.dim), seq.new_zeros(seq.shape[0], ltae.heads, seq.shape[1])

    ltae = LTAE(10, 1, 64, 4, 8, [32], [64], 0.0, 0.0, 367.0, in_norm=True)
    b, p, t = 3, 2, 5
    monkeypatch.setattr(ltae_inference, "dense_eval", one_pass)
    monkeypatch.setattr(ltae_inference, "CHUNK_VALUES", p * p * t * ltae.dim)   # one tile per chunk
    seq = torch.zeros(b * p * p, t, 10, device=device)
    valid = torch.ones(b * p * p, t, dtype=torch.bool, device=device)
    out, attn = ltae_inference.dense_eval_chunked(ltae, seq, torch.zeros(b, t, 64, device=device), valid,
                                                  valid.any(1), b, p)
    assert len(calls) == passes and sum(calls) == b
    assert out.shape == (b * p * p, 64) and attn.shape == (b * p * p, 4, t)


def test_chunk_tiles_keeps_a_chunk_near_its_budget() -> None:
    from runner.model.ltae_inference import CHUNK_VALUES, chunk_tiles

    assert chunk_tiles(6, 50, 256) == 4            # base S2 at TreeSatAI geometry: 4 × 36 × 50 × 256 ≈ 1.8 M
    assert chunk_tiles(6, 50, 64) == 18            # tiny
    assert chunk_tiles(12, 140, 256) == 1          # a chunk is never empty, however long the series
    assert 4 * 36 * 50 * 256 <= CHUNK_VALUES < 5 * 36 * 50 * 256


def test_dense_ltae_ignores_nan_in_padded_observations(trained_ish) -> None:
    """Nodata that reaches the model as NaN at masked dates must not leak through the dense path."""
    model, batch = trained_ish
    clean = _logits(model, batch)
    b = {k: v.clone() for k, v in batch.items()}
    b["s2"] = torch.where(b["s2_mask"][:, :, None], b["s2"], float("nan"))
    assert torch.isnan(b["s2"]).any()
    torch.testing.assert_close(_logits(model, b), clean)


def test_a_patch_without_valid_dates_still_gets_no_token(trained_ish) -> None:
    model, batch = trained_ish
    enc = model.encoder.encoders["s2"]
    b = {k: v.clone() for k, v in batch.items()}
    b["s2_mask"][:, :, 0, 0] = False
    with torch.inference_mode():
        tokens, has_token, _ = enc(b["s2"], b["s2_doy"], b["s2_mask"])
    assert not has_token[:, 0].any() and has_token[:, 1].all()
    assert torch.count_nonzero(tokens[:, 0]) == 0


def test_folding_batchnorms_keeps_outputs(trained_ish) -> None:
    import copy

    model, batch = trained_ish
    folded = copy.deepcopy(model)
    n = fold_batchnorms(folded)
    assert n >= 6   # the stem's Conv+BN and every Linear+BN of the two LTAEs' MLPs
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in folded.modules())
    torch.testing.assert_close(_logits(folded, batch), _logits(model, batch), atol=1e-4, rtol=1e-4)


def test_folding_refuses_a_model_in_training_mode() -> None:
    model = OmniSatClassifier(OmniSatConfig.for_size("tiny", aerial_px=4), CLASSES).train()
    with pytest.raises(ValueError, match="eval-mode"):
        fold_batchnorms(model)


def test_prepared_model_keeps_outputs_and_fuses_every_ltae_mlp_relu(trained_ish) -> None:
    import copy

    model, batch = trained_ish
    prepared = prepare_for_inference(copy.deepcopy(model))
    fused = [m for m in prepared.modules() if isinstance(m, LinearReLU)]
    # tiny: in-MLP 3 layers + out-MLP 3 layers per LTAE, 2 LTAEs; the combiner's Linear → GELU stay two ops
    assert len(fused) == 12
    assert isinstance(prepared.encoder.encoders["aerial"].stem[0], ConvGELU)
    assert not any(isinstance(m, torch.nn.ReLU) for enc in prepared.encoder.encoders.values()
                   for m in enc.modules())
    torch.testing.assert_close(_logits(prepared, batch), _logits(model, batch), atol=1e-4, rtol=1e-4)


def _counting(monkeypatch, name: str) -> list[torch.dtype]:
    """Record the input dtype of every call of fuse's oneDNN op `name` (which still runs)."""
    from runner.model import fuse

    real, calls = getattr(fuse, name), []

    def spy(x, *args):
        calls.append(x.dtype)
        return real(x, *args)

    monkeypatch.setattr(fuse, name, spy)
    return calls


def test_fused_linear_relu_matches_in_fp32_and_under_bf16_autocast(monkeypatch) -> None:
    calls = _counting(monkeypatch, "_FUSED_LINEAR")
    torch.manual_seed(0)
    linear = torch.nn.Linear(32, 64)
    fused = LinearReLU(linear)
    x = torch.randn(100, 32)
    with torch.inference_mode():
        expected = torch.relu(linear(x))
        torch.testing.assert_close(fused(x), expected)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = fused(x)
            reference_low = torch.relu(linear(x))
    # one oneDNN call each, bf16 under autocast as autocast casts (where oneDNN has bf16 kernels: AVX-512 and up)
    assert calls == ([torch.float32, torch.bfloat16] if fuse._BF16_FUSABLE else [torch.float32])
    assert low.dtype == torch.bfloat16 and (low >= 0).all()
    torch.testing.assert_close(low, reference_low, atol=0.02, rtol=0.02)
    torch.testing.assert_close(low.float(), expected, atol=0.1, rtol=0.05)


def test_fused_conv_gelu_under_bf16_autocast(monkeypatch) -> None:
    calls = _counting(monkeypatch, "_FUSED_CONV")
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 32, 3, stride=2, padding=1)
    x = torch.randn(6, 4, 21, 21).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        low = ConvGELU(conv)(x)
        reference_low = torch.nn.functional.gelu(conv(x))
    assert calls == ([torch.bfloat16] if fuse._BF16_FUSABLE else []) and low.dtype == torch.bfloat16
    torch.testing.assert_close(low, reference_low, atol=0.03, rtol=0.02)


def test_fused_conv_gelu_matches_for_the_stems_geometry() -> None:
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(4, 32, 3, stride=2, padding=1)
    x = torch.randn(6, 4, 21, 21).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        torch.testing.assert_close(ConvGELU(conv)(x), torch.nn.functional.gelu(conv(x)), atol=1e-5, rtol=1e-4)


def test_fusing_refuses_a_model_in_training_mode() -> None:
    model = OmniSatClassifier(OmniSatConfig.for_size("tiny", aerial_px=4), CLASSES).train()
    with pytest.raises(ValueError, match="eval-mode"):
        fuse_activation_pairs(model)
