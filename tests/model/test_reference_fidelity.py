"""The project's LTAEs reproduce the OmniSat reference implementation's outputs on its own weights and input.

`../shared/reference/` holds, for the reference's S1 and S2 LTAE (TreeSatAI-TS configuration), its
`state_dict` under the reference's key names, one input and the output it computed (README there). The key
mapping below is the only translation: every shape is equal, so a difference in the outputs is a difference
in what the module computes. Skipped, with the reason, where the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from runner.model.ltae import LTAE

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
TOLERANCE = 1e-5  # float32 rounding over ~10 layers; a real difference in the computation is ≥ 1e-2

# the reference's module names → ours (runner/model/ltae.py); documented in docs/model.md, "LTAE"
KEY_MAP = (("inconv.", "in_mlp."), ("mlp.", "out_mlp."), ("attention_heads.Q", "query"),
           ("attention_heads.fc1_k.", "key."), ("in_norm.", "in_norm."), ("out_norm.", "out_norm."))

pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(),
                                reason=f"reference arrays not found at {REFERENCE} (../shared/reference)")


def map_key(key: str) -> str:
    for theirs, ours in KEY_MAP:
        if key.startswith(theirs):
            return ours + key[len(theirs):]
    raise KeyError(f"reference key {key!r} has no counterpart in the project's LTAE")


def load_reference(modality: str, norm_scope: str = "series") -> tuple[LTAE, dict[str, np.ndarray]]:
    arrays = dict(np.load(REFERENCE / f"reference_ltae_{modality}.npz"))
    channels = arrays["input_x"].shape[2]
    ltae = LTAE(channels, 1, 256, 16, 8, [32, 128], [256, 512], dropout=0.2, attn_dropout=0.0, period=367.0,
                in_norm=(modality == "s2"), norm_scope=norm_scope)
    state = {map_key(k.removeprefix("state_dict/")): torch.from_numpy(v)
             for k, v in arrays.items() if k.startswith("state_dict/")}
    ltae.load_state_dict(state, strict=True)
    return ltae.eval(), arrays


def run(ltae: LTAE, arrays: dict[str, np.ndarray], dense: bool) -> np.ndarray:
    x = torch.from_numpy(arrays["input_x"])
    doy = torch.from_numpy(arrays["input_doy"])
    b, t, _, p, _ = x.shape
    valid = torch.ones(b, t, p, p, dtype=torch.bool)
    ltae.dense_inference = dense
    with torch.no_grad():
        tokens, has_token, _ = ltae(x, doy, valid)
    assert bool(has_token.all())
    return tokens.numpy()


def test_every_reference_key_maps_onto_an_equal_shape() -> None:
    for modality in ("s1", "s2"):
        arrays = np.load(REFERENCE / f"reference_ltae_{modality}.npz")
        ours = LTAE(arrays["input_x"].shape[2], 1, 256, 16, 8, [32, 128], [256, 512], 0.2, 0.0, 367.0,
                    in_norm=(modality == "s2")).state_dict()
        theirs = {map_key(k.removeprefix("state_dict/")): arrays[k].shape for k in arrays.files
                  if k.startswith("state_dict/")}
        assert set(theirs) == set(ours)
        assert all(tuple(ours[k].shape) == tuple(v) for k, v in theirs.items())


@pytest.mark.parametrize("modality", ["s1", "s2"])
@pytest.mark.parametrize("dense", [False, True], ids=["training-formulation", "inference-path"])
def test_ltae_reproduces_the_reference(modality: str, dense: bool) -> None:
    ltae, arrays = load_reference(modality)
    out = run(ltae, arrays, dense)
    assert np.abs(out - arrays["output_tokens"]).max() < TOLERANCE


@pytest.mark.parametrize("dense", [False, True], ids=["training-formulation", "inference-path"])
def test_per_date_scope_is_a_measurable_departure(dense: bool) -> None:
    """The `date` scope (models saved before the scope existed) does not reproduce the reference: the fidelity
    test above would see a regression to it."""
    ltae, arrays = load_reference("s2", norm_scope="date")
    out = run(ltae, arrays, dense)
    assert np.abs(out - arrays["output_tokens"]).max() > 1e-2


def test_series_statistics_ignore_invalid_dates() -> None:
    """Masked dates change nothing: the statistics equal GroupNorm's over the valid dates alone."""
    from runner.model.series_norm import series_standardise

    torch.manual_seed(0)
    h = torch.randn(3, 7, 32)
    valid = torch.tensor([[1, 1, 0, 1, 0, 1, 1], [1] * 7, [0, 0, 1, 0, 0, 0, 0]], dtype=torch.bool)
    noisy = h.clone()
    noisy[~valid] = 1e4  # a cloud at full brightness must not move the others' statistics
    z = series_standardise(noisy, valid, groups=4, eps=1e-5)
    for i in range(3):
        rows = h[i][valid[i]]                                                   # (t_valid, C)
        expected = torch.nn.functional.group_norm(rows.t().unsqueeze(0), 4, eps=1e-5)[0].t()
        assert torch.allclose(z[i][valid[i]], expected, atol=1e-5)
        assert bool((z[i][~valid[i]] == 0).all())
