"""Training loops on synthetic batches with signal: loss falls, a tiny classifier beats chance on held-out
batches (also with S2 only), cancel stops between steps, resume continues at the right epoch bit-exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from runner.errors import Cancelled
from runner.model import OmniSatConfig, OmniSatPretrainer, to_tensors
from runner.train import Predictor, TrainOptions, finetune, pretrain
from tests.model.conftest import CLASSES, batch_set

MODS = {"aerial": 4, "s1": 2, "s2": 10}


def _cfg() -> OmniSatConfig:
    return OmniSatConfig.for_size("tiny", MODS, aerial_px=10)


def test_pretraining_loss_falls_within_a_few_steps():
    torch.manual_seed(0)
    model = OmniSatPretrainer(_cfg())
    batches = [to_tensors(b) for b in batch_set(10, 3, b=4, t=6)]
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)

    def eval_loss() -> float:
        model.eval()
        with torch.no_grad(), torch.random.fork_rng():
            torch.manual_seed(123)  # same masks before and after
            return float(np.mean([float(model(b)["loss"]) for b in batches]))

    before = eval_loss()
    model.train()
    for _ in range(4):
        for b in batches:
            loss = model(b)["loss"]
            opt.zero_grad()
            loss.backward()
            opt.step()
    after = eval_loss()
    assert after < before - 0.5, (before, after)


def test_pretrain_function_runs_and_reports(make_ctx, tmp_path):
    ctx = make_ctx()
    train, val = batch_set(11, 3, b=4, t=5), batch_set(12, 1, b=4, t=5)
    res = pretrain(_cfg(), lambda e: train, lambda: val, TrainOptions(epochs=2, seed=1), ctx, tmp_path / "ck")
    assert [h["epoch"] for h in res.history] == [1, 2]
    assert {"val_loss", "val_contrastive", "val_rec_aerial", "val_rec_s2", "train_loss"} <= set(res.history[0])
    assert any(k.startswith("decoders.aerial") for k in res.state_dict)
    assert len(ctx.progress_calls) == 6 and ctx.progress_calls[-1]["metrics"]["epoch"] == 2
    assert [e[0] for e in ctx.events] == ["epoch", "epoch"]
    assert all(v.device.type == "cpu" for v in res.state_dict.values())


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny classifier fine-tuned on synthetic batches with all three modalities (module-shared)."""
    from tests.model.conftest import RecordingContext

    ctx = RecordingContext(tmp_path_factory.mktemp("ft"))
    train, val = batch_set(1, 10, b=8, t=6), batch_set(2, 2, b=8, t=6)
    res = finetune(_cfg(), CLASSES, lambda e: train, lambda: val,
                   TrainOptions(epochs=3, seed=0, class_weights=True), ctx, None)
    return res, ctx


def _accuracy(pred: Predictor, batches, modalities=None) -> float:
    hits, total = 0, 0
    for b in batches:
        probs = pred.predict(b, modalities)
        assert probs.dtype == np.float32 and probs.shape == b["labels"].shape + (CLASSES,)
        assert np.allclose(probs.sum(-1), 1.0, atol=1e-5)
        lab = b["labels"]
        hits += int((probs.argmax(-1) == lab)[lab >= 0].sum())
        total += int((lab >= 0).sum())
    return hits / total


def test_tiny_classifier_beats_chance_on_held_out_batches(trained):
    res, ctx = trained
    held_out = batch_set(99, 3, b=8, t=6)
    acc = _accuracy(Predictor(_cfg(), res.state_dict, device="cpu"), held_out)
    assert acc > 0.25 + 0.4, acc  # 4 balanced classes: chance is 0.25
    m = res.metrics
    assert m["macro_f1"] > 0.6 and len(m["per_class_f1"]) == CLASSES
    assert np.asarray(m["confusion"]).shape == (CLASSES, CLASSES) and 0 <= m["tile_f1"] <= 1
    assert res.best_epoch == max(res.history, key=lambda h: h["val_macro_f1"])["epoch"]
    assert any(kind == "epoch" and "val_macro_f1" in data for kind, _, data in ctx.events)


def test_s2_only_inference_on_a_model_trained_with_all_three(trained):
    res, _ = trained
    held_out = [{k: v for k, v in b.items() if not k.startswith(("aerial", "s1"))} for b in batch_set(98, 3, b=8, t=6)]
    pred = Predictor(_cfg(), res.state_dict, device="cpu")
    acc = _accuracy(pred, held_out, ["s2"])
    assert acc > 0.25 + 0.15, acc
    single = {k: (v[:1] if isinstance(v, np.ndarray) else v) for k, v in held_out[0].items()}
    assert pred.predict(single).shape == (1, 6, 6, CLASSES)  # batch size 1


def test_cancel_stops_between_steps(make_ctx, tmp_path):
    ctx = make_ctx(cancel_after=2)
    train, val = batch_set(3, 4, b=2, t=4), batch_set(4, 1, b=2, t=4)
    with pytest.raises(Cancelled):
        finetune(_cfg(), CLASSES, lambda e: train, lambda: val, TrainOptions(epochs=2), ctx, tmp_path / "ck")
    assert len(ctx.progress_calls) == 2  # the third step never started
    assert not (tmp_path / "ck" / "latest").exists()  # no epoch completed, no checkpoint claims one


def test_resume_after_interruption_continues_at_the_right_epoch(make_ctx, tmp_path):
    train, val = batch_set(5, 3, b=4, t=4), batch_set(6, 1, b=4, t=4)
    opts = TrainOptions(epochs=3, seed=7)
    straight = finetune(_cfg(), CLASSES, lambda e: train, lambda: val, opts, make_ctx(sub="a"), tmp_path / "a")

    first = make_ctx(cancel_after=5, sub="b")  # 3 steps per epoch: cancelled during epoch 2
    with pytest.raises(Cancelled):
        finetune(_cfg(), CLASSES, lambda e: train, lambda: val, opts, first, tmp_path / "b")
    assert (tmp_path / "b" / "latest").read_text() == "epoch-1"
    second = make_ctx(sub="c")
    resumed = finetune(_cfg(), CLASSES, lambda e: train, lambda: val, opts, second, tmp_path / "b")
    assert second.events[0][0] == "resume" and "after epoch 1 of 3" in second.events[0][1]
    assert second.progress_calls[0]["metrics"]["epoch"] == 2
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
    for k, v in straight.state_dict.items():  # same seeds, restored RNG: identical to the uninterrupted run
        assert torch.equal(v, resumed.state_dict[k]), k
    assert resumed.best_epoch == straight.best_epoch


def test_bf16_autocast_path_trains_and_predicts(make_ctx):
    train, val = batch_set(20, 2, b=4, t=5), batch_set(21, 1, b=4, t=5)
    res = finetune(_cfg(), CLASSES, lambda e: train, lambda: val, TrainOptions(epochs=1, amp="bf16"), make_ctx(), None)
    assert np.isfinite(res.history[0]["train_loss"])
    probs = Predictor(_cfg(), res.state_dict, device="cpu", amp="bf16").predict(val[0])
    assert probs.dtype == np.float32 and np.allclose(probs.sum(-1), 1, atol=1e-3)


def test_inverse_frequency_class_weights_favour_rare_classes():
    from runner.train.finetune import class_weights_for

    b = batch_set(22, 1, b=2, t=3)[0]
    b["labels"][:] = 0
    b["labels"][0, 0, :2] = 1
    w = class_weights_for(TrainOptions(class_weights=True), 3, lambda e: [b]).tolist()
    assert w[1] > w[0] and w[2] == 1.0  # class 2 unseen keeps weight 1
    assert class_weights_for(TrainOptions(), 3, lambda e: [b]) is None


def test_predictor_refuses_inputs_that_do_not_fit(trained):
    from runner.errors import InputError

    res, _ = trained
    pred = Predictor(_cfg(), res.state_dict, device="cpu")
    b = batch_set(30, 1, b=1, t=3)[0]
    with pytest.raises(InputError, match="trained without"):
        pred.predict(b, ["s2", "dem"])
    with pytest.raises(InputError, match="aerial tile is 120×120 px, expected 60×60"):
        pred.predict(dict(b, aerial=np.zeros((1, 4, 120, 120), np.float32)))


def test_finetune_starts_from_a_pretrained_encoder_even_with_fewer_modalities(make_ctx):
    from runner.errors import InputError
    from runner.model import OmniSatClassifier

    torch.manual_seed(0)
    pre_state = OmniSatPretrainer(_cfg()).state_dict()
    s2_cfg = OmniSatConfig.for_size("tiny", {"s2": 10})
    model = OmniSatClassifier(s2_cfg, CLASSES)
    loaded = model.load_encoder(pre_state)
    assert "combiner.cross.query_pos" in loaded and not any(k.startswith("encoders.aerial") for k in loaded)
    assert torch.equal(model.encoder.combiner.pos_embed, pre_state["encoder.combiner.pos_embed"])
    assert torch.equal(model.encoder.encoders["s2"].key.weight, pre_state["encoder.encoders.s2.key.weight"])

    train = [{k: v for k, v in b.items() if not k.startswith(("aerial", "s1"))} for b in batch_set(31, 2, b=2, t=4)]
    ctx = make_ctx()
    finetune(s2_cfg, CLASSES, lambda e: train, lambda: train, TrainOptions(epochs=1), ctx, None, init_state=pre_state)
    assert ctx.events[0][0] == "init"
    other = OmniSatConfig.for_size("tiny", {"s2": 4})
    with pytest.raises(InputError, match="base model: the initial weights do not fit"):
        finetune(other, CLASSES, lambda e: train, lambda: train, TrainOptions(epochs=1), ctx, None,
                 init_state=pre_state)
