"""The code paths with a CUDA meaning, run on the target device and compared with the CPU on the same weights and
inputs: forward, backward, bf16 autocast, masks and padding, pretraining losses, a fine-tuning run with its
checkpoints (save, resume), the model store and the predictor.

The reference is always the CPU in fp32 with the model's reference formulation (training-path LTAE, nothing
folded or fused). The target is the device with what the runner does there (inference: BatchNorms folded,
activations fused, the dense eval LTAE; training: the runner's autocast). On a CPU-only run the device *is* the
CPU, so what is compared is the production formulation against the reference one, bf16 against fp32, and a
second run against the first (which must then be identical).

Bounds: fp32 on CUDA runs convolutions in TF32 (cuDNN's default, which the runner keeps), so "fp32" agreement is
~1e-3, not 1e-6; bf16 keeps 8 bits of mantissa. A wrong mask, a lost padding rule or a device mix-up gives
errors of order 1, far above either bound.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.gpu_check.common import (
    CLASSES,
    Sizes,
    clone_to,
    config,
    grad_error,
    grads,
    rel_error,
    synthetic_batch,
)
from bench.gpu_check.report import Section

# relative L2 error against the CPU fp32 reference
FP32_BOUND = 2e-2      # TF32 convolutions on CUDA; ~1e-6 on a CPU
BF16_BOUND = 1e-1      # forward outputs and losses under bf16 autocast (CPU: up to 4e-2 seen)
BF16_GRAD_COS = 0.95   # cosine of the whole gradient under bf16 against fp32
FP32_GRAD_COS = 0.999
UPDATE_COS_FP32 = 0.99  # the weight change of a short fine-tuning run
UPDATE_COS_BF16 = 0.9
JUNK_BOUND = 1e-5      # junk under masks / padding must change nothing


def _ltae_reference(model: torch.nn.Module, on: bool) -> None:
    from runner.model.ltae import LTAE

    for m in model.modules():
        if isinstance(m, LTAE):
            m.dense_inference = not on


def _randomise_batchnorm(model: torch.nn.Module, seed: int = 0) -> None:
    """Running statistics that are not the identity, so folding them into the weights is really tested."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


def _amp(device: torch.device, dtype: torch.dtype | None):
    from runner.train.device import autocast

    return autocast(device, dtype)


class Parity:
    def __init__(self, device: torch.device, sizes: Sizes) -> None:
        from runner.model import OmniSatClassifier

        self.device, self.sizes = device, sizes
        self.on_cpu = device.type == "cpu"
        torch.manual_seed(0)
        self.cfg = config(sizes, no_dropout=True)
        self.model = OmniSatClassifier(self.cfg, CLASSES)
        _randomise_batchnorm(self.model)
        self.batch = synthetic_batch(sizes, sizes.parity_batch, seed=1, padded=3)
        # training batches pad with 0 as the reader does (runner/geo/scene_reader.py): the reconstruction targets
        # standardise every date of a patch, padding included, with weight 0 (NaN × 0 would still be NaN)
        self.train_batch = synthetic_batch(sizes, sizes.parity_batch, seed=1, padded=3, pad_value=0.0)

    # -- inference --------------------------------------------------------------------------------------
    def _reference_forward(self, batch: dict[str, Any], modalities: list[str] | None = None) -> dict[str, Any]:
        from runner.model import to_tensors

        ref = clone_to(self.model, torch.device("cpu")).eval()
        _ltae_reference(ref, True)
        with torch.inference_mode():
            return ref(to_tensors(batch, "cpu"), modalities)

    def _prepared(self) -> torch.nn.Module:
        from runner.model.fuse import prepare_for_inference

        m = clone_to(self.model, self.device).eval()
        return prepare_for_inference(m)

    def _device_forward(self, model: torch.nn.Module, batch: dict[str, Any], dtype: torch.dtype | None,
                        modalities: list[str] | None = None) -> dict[str, Any]:
        from runner.model import to_tensors

        with torch.inference_mode(), _amp(self.device, dtype):
            return model(to_tensors(batch, self.device), modalities)

    def forward(self, sec: Section) -> None:
        ref = self._reference_forward(self.batch)
        prepared = self._prepared()
        for name, dtype, bound in (("fp32", None, FP32_BOUND), ("bf16 autocast", torch.bfloat16, BF16_BOUND)):
            out = self._device_forward(prepared, self.batch, dtype)
            errs = {k: rel_error(out[k], ref[k]) for k in ("patch_logits", "tile_logits")}
            agree = float((out["patch_logits"].float().argmax(-1).cpu() == ref["patch_logits"].argmax(-1)).float()
                          .mean())
            sec.check(f"forward {name}: prepared model on {self.device} vs reference on cpu fp32",
                      max(errs.values()) <= bound, f"relative L2 error <= {bound:g}", **errs,
                      patch_argmax_agreement=agree, out_dtype=str(out["patch_logits"].dtype))

    def masks_and_padding(self, sec: Section) -> None:
        """Subsets of modalities, padded dates and a patch without any clear date; junk under masks is inert."""
        prepared = self._prepared()
        for mods in (["s2"], ["s1", "s2"], ["aerial", "s2"], None):
            ref = self._reference_forward(self.batch, mods)
            out = self._device_forward(prepared, self.batch, None, mods)
            err = rel_error(out["patch_logits"], ref["patch_logits"])
            finite = bool(torch.isfinite(out["patch_logits"]).all())
            sec.check(f"modalities {'+'.join(mods or ['all'])}: device vs cpu fp32", finite and err <= FP32_BOUND,
                      f"finite, relative L2 error <= {FP32_BOUND:g}", rel_error=err, finite=finite)
        junk = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.batch.items()}
        for m in ("s1", "s2"):
            hidden = ~junk[f"{m}_mask"] | (junk[f"{m}_doy"] == 0)[:, :, None, None]
            rng = np.random.default_rng(7)
            junk[m] = np.where(hidden[:, :, None], rng.normal(50, 50, junk[m].shape), junk[m]).astype(np.float32)
        for dtype, name in ((None, "fp32"), (torch.bfloat16, "bf16")):
            a = self._device_forward(prepared, self.batch, dtype)["patch_logits"]
            b = self._device_forward(prepared, junk, dtype)["patch_logits"]
            sec.check(f"other values under cloud masks and date padding change nothing ({name}, {self.device})",
                      rel_error(b, a) <= JUNK_BOUND, f"relative L2 error <= {JUNK_BOUND:g}",
                      rel_error=rel_error(b, a))
        from runner.model import to_tensors

        with torch.inference_mode():
            enc = prepared.encoder(to_tensors(self.batch, self.device), pool_trace=False)
        no_token = not bool(enc.has_token["s2"][0, 0])
        pad_attn = float(enc.date_attn["s2"][:, -3:].abs().max())
        sec.check("a patch never seen clear has no S2 token; padded dates get no attention", no_token and
                  pad_attn == 0.0, "has_token False, attention on padding == 0", has_token=not no_token,
                  padded_attention_max=pad_attn)

    # -- training ---------------------------------------------------------------------------------------
    def _loss_and_grads(self, model: torch.nn.Module, device: torch.device, dtype: torch.dtype | None,
                        pretrainer: bool, mask: torch.Tensor | None = None) -> tuple[dict[str, float], dict]:
        from runner.model import to_tensors

        m = clone_to(model, device).train()
        if mask is not None:  # the same masked tokens on both devices (their generators draw differently)
            m.random_mask = lambda b, n, dev: mask.to(dev)
        t = to_tensors(self.train_batch, device)
        m.zero_grad(set_to_none=True)
        torch.manual_seed(0)
        with _amp(device, dtype):
            if pretrainer:
                out = m(t)
                losses = {k: v for k, v in out.items() if k != "loss" and v.requires_grad} | {"loss": out["loss"]}
            else:
                losses = {"loss": m.loss(m(t), t)}
        losses["loss"].backward()
        return {k: float(v.detach()) for k, v in losses.items()}, grads(m)

    def _compare_training(self, sec: Section, what: str, model: torch.nn.Module, pretrainer: bool,
                          mask: torch.Tensor | None = None) -> None:
        cpu = torch.device("cpu")
        ref_loss, ref_grads = self._loss_and_grads(model, cpu, None, pretrainer, mask)
        for name, dtype, bound, cos_bound in (("fp32", None, FP32_BOUND, FP32_GRAD_COS),
                                              ("bf16 autocast", torch.bfloat16, BF16_BOUND, BF16_GRAD_COS)):
            loss, g = self._loss_and_grads(model, self.device, dtype, pretrainer, mask)
            loss_err = {k: abs(v - ref_loss[k]) / max(abs(ref_loss[k]), 1e-6) for k, v in loss.items()}
            g_err, cos = grad_error(g, ref_grads)
            where = f"second run on {self.device}" if self.on_cpu and dtype is None else str(self.device)
            exact = self.on_cpu and dtype is None  # the same computation twice on a CPU: identical
            ok = (max(loss_err.values()) <= bound and cos >= cos_bound) if not exact else \
                (max(loss_err.values()) == 0.0 and g_err == 0.0)
            sec.check(f"{what} {name}: {where} vs cpu fp32", ok,
                      "identical" if exact else f"each loss within {bound:g} relative, gradient cosine >= {cos_bound}",
                      losses=loss, reference_losses=ref_loss, grad_rel_error=g_err, grad_cosine=cos)

    def backward(self, sec: Section) -> None:
        self._compare_training(sec, "classifier loss and gradients", self.model, pretrainer=False)

    def pretraining(self, sec: Section) -> None:
        from runner.model import OmniSatPretrainer

        torch.manual_seed(1)
        pre = OmniSatPretrainer(self.cfg)
        n = len(self.cfg.modalities) * self.cfg.n_patches
        mask = pre.random_mask(self.sizes.parity_batch, n, torch.device("cpu"))
        self._compare_training(sec, "pretraining losses (contrastive, reconstructions) and gradients", pre,
                               pretrainer=True, mask=mask)


# -- a real fine-tuning run through runner.train.finetune, its checkpoints, the store, the predictor ------------
class _CancelAfter:
    """A JobContext factory: cancels after `n` progress reports (None: never)."""

    @staticmethod
    def make(work: Path, n: int | None):
        from runner.jobs.context import JobContext

        class Ctx(JobContext):
            calls = 0
            events: list[str] = []

            def _on_progress(self, progress: dict[str, Any]) -> None:
                self.calls += 1
                if n is not None and self.calls >= n:
                    self.cancel()

            def _on_event(self, kind: str, message: str, data: dict[str, Any]) -> None:
                self.events.append(f"{kind}: {message}")

        return Ctx("gpu-check", work, work / "job")


def _finetune(parity: Parity, device: str, amp: str, ckpt: Path, epochs: int = 2,
              cancel_after: int | None = None) -> tuple[Any, list[str]]:
    from runner.errors import Cancelled
    from runner.train import TrainOptions, finetune

    sizes = parity.sizes
    train = [synthetic_batch(sizes, sizes.parity_batch, seed=10 + i, padded=2, pad_value=0.0) for i in range(2)]
    val = [synthetic_batch(sizes, sizes.parity_batch, seed=20, padded=2, pad_value=0.0)]
    opts = TrainOptions(epochs=epochs, batch_size=sizes.parity_batch, lr=1e-3, device=device, amp=amp, seed=0,
                        modality_dropout=0.0, max_steps_per_epoch=2, patience=10)
    ctx = _CancelAfter.make(ckpt.parent / f"ctx-{ckpt.name}", cancel_after)
    init = {f"encoder.{k}": v for k, v in parity.model.encoder.state_dict().items()}
    try:
        result = finetune(parity.cfg, CLASSES, lambda epoch: train, lambda: val, opts, ctx, ckpt, init_state=init)
    except Cancelled:
        result = None
    return result, ctx.events


def _last_weights(ckpt: Path) -> dict[str, torch.Tensor]:
    from runner.train.checkpoint import load_checkpoint

    ck = load_checkpoint(ckpt)
    assert ck is not None, f"no checkpoint in {ckpt}"  # nosec B101 - a check script, not the runner
    return ck["model"]


def _update_cosine(after: dict[str, torch.Tensor], ref_after: dict[str, torch.Tensor],
                   before: dict[str, torch.Tensor]) -> tuple[float, float]:
    keys = [k for k in sorted(before) if before[k].is_floating_point() and "running" not in k]
    da = torch.cat([(after[k].float() - before[k].float()).reshape(-1) for k in keys])
    dr = torch.cat([(ref_after[k].float() - before[k].float()).reshape(-1) for k in keys])
    return float(torch.nn.functional.cosine_similarity(da, dr, dim=0)), rel_error(da, dr)


def _max_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    if set(a) != set(b):
        return float("inf")
    return max(float((a[k].float() - b[k].float()).abs().max()) if a[k].numel() else 0.0 for k in a)


def training_run(parity: Parity, sec: Section) -> None:
    """fine-tune (runner.train.finetune → fit: pinned copies, ChunkedStep, autocast, AdamW, validation under
    fork_rng, a checkpoint per epoch) on the device and on the CPU; cancel and resume; store round trip."""
    from runner.model import OmniSatClassifier

    dev = parity.device.type  # the runner takes "cuda" or "cpu" (choose_device), not "cuda:0"
    target_amp = "bf16" if parity.on_cpu else "auto"  # auto is bf16 on CUDA; on a CPU ask for it
    torch.manual_seed(0)  # finetune() seeds 0 before building the classifier: the same head initialisation
    before = OmniSatClassifier(parity.cfg, CLASSES)
    with tempfile.TemporaryDirectory(prefix="omnisat-gpu-check-") as tmp:
        root = Path(tmp)
        _finetune(parity, "cpu", "off", root / "cpu")
        ref = _last_weights(root / "cpu")
        init = {**before.state_dict(), **{f"encoder.{k}": v for k, v in parity.model.encoder.state_dict().items()}}
        for amp, bound in (("off", UPDATE_COS_FP32), (target_amp, UPDATE_COS_BF16)):
            res, _ = _finetune(parity, dev, amp, root / f"dev-{amp}")
            last = _last_weights(root / f"dev-{amp}")
            cos, rel = _update_cosine(last, ref, init)
            exact = parity.on_cpu and amp == "off"
            ok = (_max_diff(last, ref) == 0.0) if exact else cos >= bound
            hist = [round(h["train_loss"], 5) for h in res.history]
            sec.check(f"fine-tuning 2 epochs × 2 steps, amp {amp}: {dev} vs cpu fp32", ok,
                      "identical weights" if exact else f"cosine of the weight change >= {bound}",
                      update_cosine=cos, update_rel_error=rel, train_loss=hist)

        # a run cancelled after epoch 1 resumes from its checkpoint to the weights of the uninterrupted run
        # cancelled at epoch 2's first step: a cancel lands inside a pass (JobContext.cancel_points), so one
        # raised at the last step of epoch 1 would also stop its validation and checkpoint
        _, events = _finetune(parity, dev, target_amp, root / "cut", cancel_after=3)
        cut_epoch = _last_weights(root / "cut")
        resumed, events2 = _finetune(parity, dev, target_amp, root / "cut")
        straight = _last_weights(root / f"dev-{target_amp}")
        again = _last_weights(root / "cut")
        diff = _max_diff(again, straight)
        deterministic = parity.on_cpu
        bound = 0.0 if deterministic else 1e-2
        sec.check(f"checkpoint after epoch 1 on {dev}, cancel, resume: same weights as the uninterrupted run",
                  any("resuming after epoch 1" in e for e in events2) and diff <= bound and resumed is not None,
                  "identical" if deterministic else f"max |difference| <= {bound:g} (cuDNN/atomics reorder sums)",
                  max_abs_difference=diff, resumed=any("resuming" in e for e in events2),
                  weights_changed_in_epoch_2=_max_diff(cut_epoch, again) > 0)

        # the model store: weights from the device, saved with checksums, loaded back bit for bit
        from runner import model_store as store

        state = resumed.state_dict
        card = {"kind": "classifier", "size": parity.cfg.size, "config": parity.cfg.to_dict()}
        store.save_model(root / "home", "gpu-check", state, card)
        loaded, _ = store.load_model(root / "home", "gpu-check")
        sec.check("model store round trip of device-trained weights (safetensors + sha256)",
                  _max_diff(loaded, state) == 0.0 and all(loaded[k].dtype == state[k].dtype for k in state),
                  "bit-identical", tensors=len(state), max_abs_difference=_max_diff(loaded, state))
        parity.trained = state  # the predictor check uses these weights


def checkpoint_rng(parity: Parity, sec: Section) -> None:
    """save_checkpoint on device tensors and optimizer state; load; the device's RNG continues identically."""
    from runner.train.checkpoint import load_checkpoint, save_checkpoint, set_rng_state

    model = clone_to(parity.model, parity.device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    from runner.model import to_tensors

    t = to_tensors(parity.batch, parity.device)
    loss = model.loss(model(t), t)
    loss.backward()
    opt.step()
    with tempfile.TemporaryDirectory(prefix="omnisat-gpu-check-") as tmp:
        save_checkpoint(Path(tmp), model, opt, {"epoch": 1}, None)
        draw = torch.rand(4, device=parity.device).cpu()
        ck = load_checkpoint(Path(tmp))
    assert ck is not None  # nosec B101
    set_rng_state(ck["rng_tensors"], ck["rng_meta"])
    again = torch.rand(4, device=parity.device).cpu()
    opt2 = torch.optim.AdamW(clone_to(parity.model, parity.device).parameters(), lr=1e-3)
    opt2.load_state_dict(ck["optimizer"])
    moments = [(opt.state[p]["exp_avg"], opt2.state[q]["exp_avg"]) for p, q in
               zip(opt.param_groups[0]["params"], opt2.param_groups[0]["params"], strict=True) if p in opt.state]
    same_opt = all(torch.equal(a.cpu(), b.cpu()) for a, b in moments)
    on_device = all(b.device.type == parity.device.type for _, b in moments)
    model_same = _max_diff(ck["model"], {k: v.cpu() for k, v in model.state_dict().items()}) == 0.0
    sec.check(f"checkpoint of a {parity.device} model: weights, AdamW moments and the {parity.device.type} RNG "
              "restored", model_same and same_opt and on_device and torch.equal(draw, again),
              "bit-identical; moments back on the parameters' device", model_identical=model_same,
              optimizer_identical=same_opt, moments_on_device=on_device, rng_continues=torch.equal(draw, again))


def predictor(parity: Parity, sec: Section) -> None:
    from runner.train import Predictor

    state = getattr(parity, "trained", None)
    if state is None:
        state = parity.model.state_dict()
    batch = synthetic_batch(parity.sizes, 2 * parity.sizes.parity_batch, seed=3, padded=2)
    ref = Predictor(parity.cfg, state, device="cpu", amp="off").predict(batch)
    for amp in ("off", "auto", "bf16"):
        p = Predictor(parity.cfg, state, device=parity.device.type, amp=amp)
        probs = p.predict(batch)
        bf16 = p.dtype is not None
        bound = BF16_BOUND if bf16 else FP32_BOUND
        err = rel_error(torch.from_numpy(probs), torch.from_numpy(ref))
        agree = float((probs.argmax(-1) == ref.argmax(-1)).mean())
        sums = float(np.abs(probs.sum(-1) - 1).max())
        sec.check(f"Predictor amp {amp} ({'bf16' if bf16 else 'fp32'}, {p.batch_size} tiles per batch) on "
                  f"{parity.device} vs cpu fp32", err <= bound and sums < 1e-3 and probs.shape == ref.shape,
                  f"probabilities relative L2 error <= {bound:g}, rows sum to 1", rel_error=err,
                  argmax_agreement=agree, row_sum_error=sums, shape=list(probs.shape))
    expect = torch.bfloat16 if parity.device.type == "cuda" else None
    auto = Predictor(parity.cfg, state, device=parity.device.type, amp="auto")
    if parity.device.type == "cuda" or parity.cfg.dim < 256:
        sec.check("amp auto picks the documented precision", auto.dtype == expect,
                  "bf16 on CUDA; fp32 for a model narrower than 256 on a CPU", dtype=str(auto.dtype))


def run_parity(report: Any, device: torch.device, sizes: Sizes) -> None:
    parity = Parity(device, sizes)
    report.run("forward: device vs cpu", parity.forward)
    report.run("masks and padding", parity.masks_and_padding)
    report.run("backward: classifier", parity.backward)
    report.run("pretraining losses", parity.pretraining)
    report.run("fine-tuning run, checkpoint resume, model store", lambda sec: training_run(parity, sec))
    report.run("checkpoint of device state", lambda sec: checkpoint_rng(parity, sec))
    report.run("predictor", lambda sec: predictor(parity, sec))
