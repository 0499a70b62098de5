"""The inference fast paths give the training path's answers: dense LTAE embedding, BatchNorms folded."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from runner.model import OmniSatClassifier, OmniSatConfig, to_tensors
from runner.model.fuse import fold_batchnorms
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
