"""Padded dates and invalid observations change nothing; patches without a valid date get no token."""

from __future__ import annotations

import numpy as np
import torch

from runner.model import OmniSat, OmniSatConfig, to_tensors
from runner.model.decoders import select_dates
from tests.model.conftest import make_batch


def _model() -> OmniSat:
    torch.manual_seed(1)
    cfg = OmniSatConfig.for_size("tiny", {"aerial": 4, "s1": 2, "s2": 10}, aerial_px=10)
    return OmniSat(cfg).eval()


def _pad(batch: dict, m: str, extra: int, rng: np.random.Generator) -> dict:
    out = dict(batch)
    b, t = batch[f"{m}_doy"].shape
    junk = rng.normal(3, 10, (b, extra) + batch[m].shape[2:]).astype(np.float32)
    out[m] = np.concatenate([batch[m], junk], axis=1)
    out[f"{m}_doy"] = np.concatenate([batch[f"{m}_doy"], np.zeros((b, extra), np.int64)], axis=1)
    out[f"{m}_days"] = np.concatenate([batch[f"{m}_days"], np.zeros((b, extra), np.int64)], axis=1)
    pad_mask = np.zeros((b, extra) + batch[f"{m}_mask"].shape[2:], bool)
    out[f"{m}_mask"] = np.concatenate([batch[f"{m}_mask"], pad_mask], axis=1)
    return out


def test_appending_padded_dates_changes_nothing():
    model = _model()
    rng = np.random.default_rng(0)
    batch = make_batch(rng, b=1, t=6)
    padded = _pad(_pad(batch, "s2", 4, rng), "s1", 3, rng)
    with torch.no_grad():
        a = model(to_tensors(batch))
        b = model(to_tensors(padded))
    assert torch.allclose(a.tile_token, b.tile_token, atol=1e-5)
    assert torch.allclose(a.patch_tokens, b.patch_tokens, atol=1e-5)
    assert torch.allclose(b.date_attn["s2"][:, :6], a.date_attn["s2"], atol=1e-6)
    assert float(b.date_attn["s2"][:, 6:].abs().max()) == 0.0


def test_invalid_observation_values_are_ignored():
    model = _model()
    rng = np.random.default_rng(1)
    batch = make_batch(rng, b=2, t=6, cloud=0.4)
    other = dict(batch)
    other["s2"] = np.where(batch["s2_mask"][:, :, None], batch["s2"], 1e3).astype(np.float32)
    with torch.no_grad():
        a, b = model(to_tensors(batch)), model(to_tensors(other))
    assert torch.allclose(a.patch_tokens, b.patch_tokens, atol=1e-5)


def test_cloud_covered_patch_gets_no_token_and_does_not_poison_the_map():
    model = _model()
    rng = np.random.default_rng(2)
    batch = make_batch(rng, b=1, t=5, modalities=("s2",), cloud=0.0)
    cloudy = dict(batch)
    cloudy["s2_mask"] = batch["s2_mask"].copy()
    cloudy["s2_mask"][0, :, 0, 0] = False
    cloudy["s2"] = batch["s2"].copy()
    with torch.no_grad():
        out = model(to_tensors(cloudy))
        cloudy["s2"][0, :, :, 0, 0] = 99.0  # whatever lies under the cloud
        again = model(to_tensors(cloudy))
    assert not bool(out.has_token["s2"][0, 0]) and bool(out.has_token["s2"][0, 1:].all())
    assert torch.allclose(out.patch_tokens, again.patch_tokens, atol=1e-6)
    assert torch.isfinite(out.patch_tokens).all()


def test_date_selection_includes_last_valid_date_and_skips_padding():
    att = torch.tensor([[0.1, 0.1, 0.2, 0.6, 0.0, 0.0]])
    valid = torch.tensor([[True, True, True, True, False, False]])
    sel = select_dates(att, valid, 0.75)
    assert sel.tolist() == [[False, False, False, True, False, False]]  # the last valid date is chosen
    flat = select_dates(torch.full((1, 3), 1 / 3), torch.ones(1, 3, dtype=torch.bool), 0.75)
    assert bool(flat.any())


def test_training_with_a_single_valid_observation_does_not_fail():
    model = _model().train()
    batch = make_batch(np.random.default_rng(4), b=1, t=3, modalities=("s2",))
    batch["s2_mask"][:] = False
    batch["s2_mask"][0, 1, 2, 3] = True
    out = model(to_tensors(batch))
    assert int(out.has_token["s2"].sum()) == 1 and torch.isfinite(out.patch_tokens).all()
