"""Model store and training checkpoints: bit-exact round trips, atomic writes, corrupt files refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from runner import model_store as store
from runner.errors import InputError
from runner.model import OmniSatClassifier, OmniSatConfig, OmniSatPretrainer, to_tensors
from runner.train.checkpoint import load_checkpoint, save_checkpoint
from tests.model.conftest import make_batch


def _state() -> tuple[OmniSatConfig, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    cfg = OmniSatConfig.for_size("tiny", {"aerial": 4, "s2": 10})
    return cfg, OmniSatClassifier(cfg, 3).state_dict()


def _card(cfg: OmniSatConfig) -> dict:
    return {"kind": "classifier", "size": "tiny", "config": cfg.to_dict(), "modalities": ["aerial", "s2"],
            "classes": [{"value": 1, "name": "forest", "color": "#00aa00"}], "metrics": {"macro_f1": 0.5},
            "history": [{"epoch": 1}], "base_model": None}


def test_model_round_trip_is_bit_exact(tmp_path):
    cfg, state = _state()
    store.save_model(tmp_path, "forest-v1", state, _card(cfg))
    loaded, card = store.load_model(tmp_path, "forest-v1")
    assert set(loaded) == set(state)
    assert all(torch.equal(loaded[k], state[k]) and loaded[k].dtype == state[k].dtype for k in state)
    assert card["name"] == "forest-v1" and card["classes"][0]["name"] == "forest"
    assert OmniSatConfig.from_dict(card["config"]) == cfg
    model = OmniSatClassifier(OmniSatConfig.from_dict(card["config"]), 3)
    model.load_state_dict(loaded)  # the shared ResBlock norm loads back too
    summary = store.list_models(tmp_path)
    assert [m["name"] for m in summary] == ["forest-v1"] and "history" not in summary[0]
    assert store.get_card(tmp_path, "forest-v1")["metrics"] == {"macro_f1": 0.5}


def test_existing_model_is_not_overwritten_unless_asked(tmp_path):
    cfg, state = _state()
    store.save_model(tmp_path, "m", state, _card(cfg))
    with pytest.raises(InputError, match="model m already exists"):
        store.save_model(tmp_path, "m", state, {**_card(cfg), "size": "other"})
    with pytest.raises(ValueError):  # NaN is not JSON: the failed write leaves the old model untouched
        store.save_model(tmp_path, "m", state, {**_card(cfg), "metrics": {"f1": float("nan")}}, overwrite=True)
    assert store.get_card(tmp_path, "m")["size"] == "tiny"
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".")]
    store.save_model(tmp_path, "m", state, {**_card(cfg), "size": "new"}, overwrite=True)
    assert store.get_card(tmp_path, "m")["size"] == "new"


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".hidden", "x" * 65, "sp ace"])
def test_bad_model_names_are_refused(tmp_path, bad):
    with pytest.raises(InputError, match="not valid"):
        store.check_can_write(tmp_path, bad)


def test_truncated_weights_are_refused_naming_model_and_file(tmp_path):
    cfg, state = _state()
    folder = store.save_model(tmp_path, "cut", state, _card(cfg))
    weights = folder / store.WEIGHTS
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(InputError, match=r"model cut: file .*weights\.safetensors is corrupt or truncated"):
        store.load_model(tmp_path, "cut")


def test_garbage_weights_with_matching_checksum_are_refused(tmp_path):
    cfg, state = _state()
    folder = store.save_model(tmp_path, "junk", state, _card(cfg))
    (folder / store.WEIGHTS).write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{garbage" + bytes(100))
    sums = json.loads((folder / store.CHECKSUMS).read_text())
    sums[store.WEIGHTS] = store._sha256(folder / store.WEIGHTS)
    (folder / store.CHECKSUMS).write_text(json.dumps(sums))
    with pytest.raises(InputError, match=r"model junk: file .*weights\.safetensors is not valid safetensors"):
        store.load_model(tmp_path, "junk")


def test_missing_and_deleted_models(tmp_path):
    cfg, state = _state()
    with pytest.raises(InputError, match="model nope not found"):
        store.load_model(tmp_path, "nope")
    store.save_model(tmp_path, "gone", state, _card(cfg))
    store.delete_model(tmp_path, "gone")
    assert store.list_models(tmp_path) == []
    with pytest.raises(InputError, match="not found"):
        store.delete_model(tmp_path, "gone")


def test_training_checkpoint_round_trip_is_bit_exact(tmp_path):
    torch.manual_seed(0)
    cfg = OmniSatConfig.for_size("tiny", {"aerial": 4, "s1": 2, "s2": 10})
    model = OmniSatPretrainer(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batch = to_tensors(make_batch(np.random.default_rng(0), b=2, t=4))
    model(batch)["loss"].backward()
    opt.step()
    state = {"epoch": 3, "step": 7, "history": [{"epoch": 1, "train_loss": 1.5}], "stale": 0}
    save_checkpoint(tmp_path, model, opt, state, model.state_dict())
    save_checkpoint(tmp_path, model, opt, {**state, "epoch": 4}, None)  # newer one replaces the older
    ck = load_checkpoint(tmp_path)
    assert ck["state"]["epoch"] == 4 and ck["best"] is None
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["epoch-4"]
    assert all(torch.equal(ck["model"][k], v) for k, v in model.state_dict().items())
    opt2 = torch.optim.AdamW(OmniSatPretrainer(cfg).parameters(), lr=1e-3)
    opt2.load_state_dict(ck["optimizer"])
    a, b = opt.state_dict(), opt2.state_dict()
    assert a["param_groups"] == b["param_groups"]
    for i, st in a["state"].items():
        assert all(torch.equal(st[k], b["state"][i][k]) for k in st)
    assert not list(tmp_path.glob("*.pt")) and not list(tmp_path.rglob("*.pkl"))


def test_cards_from_before_base_model_read_their_parent_as_base_model(tmp_path):
    cfg, state = _state()
    old = {k: v for k, v in _card(cfg).items() if k != "base_model"} | {"parent": "pre"}
    store.save_model(tmp_path, "old-card", state, old)
    _, card = store.load_model(tmp_path, "old-card")
    assert card["base_model"] == "pre" and "parent" not in card
    assert store.get_card(tmp_path, "old-card")["base_model"] == "pre"
    assert store.list_models(tmp_path)[0]["base_model"] == "pre"
