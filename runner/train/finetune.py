"""Fine-tuning: per-patch classes + tile multi-label, early stopping on validation macro F1 of patch labels."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from runner import distributed as dist
from runner.distributed import train as dist_train
from runner.errors import InputError
from runner.model import OmniSatClassifier, OmniSatConfig, to_tensors
from runner.train.context import TrainingContext
from runner.train.device import choose_device
from runner.train.loop import fit, seed_everything
from runner.train.metrics import confusion, inverse_frequency_weights, multilabel_f1, patch_metrics
from runner.train.options import TrainOptions, TrainResult

WEIGHT_SAMPLE_BATCHES = 50


def class_weights_for(opts: TrainOptions, classes: int, train_batches: Callable[[int], Iterable[dict[str, Any]]]
                      ) -> torch.Tensor | None:
    """Explicit weights, or inverse label frequency over the first batches of epoch 0, or None."""
    if opts.class_weights is False or opts.class_weights is None:
        return None
    if isinstance(opts.class_weights, (list, tuple)):
        if len(opts.class_weights) != classes:
            raise InputError(f"class_weights: {len(opts.class_weights)} values for {classes} classes")
        return torch.tensor(opts.class_weights, dtype=torch.float32)
    counts = np.zeros(classes, dtype=np.int64)
    for batch in itertools.islice(train_batches(0), WEIGHT_SAMPLE_BATCHES):
        lab = np.asarray(batch["labels"]).reshape(-1)
        counts += np.bincount(lab[lab >= 0], minlength=classes)[:classes]
    counts = dist_train.sum_over_ranks(counts)  # under torchrun each rank saw its share: same weights everywhere
    return torch.tensor(inverse_frequency_weights(counts), dtype=torch.float32)


def evaluate_classifier(model: torch.nn.Module, batches: Iterable[dict[str, Any]], classes: int,
                        device: torch.device, modalities: list[str] | None = None) -> dict[str, Any]:
    """Patch-level OA / macro F1 / per-class F1 / confusion and tile-level multi-label F1, plus the loss."""
    cm = np.zeros((classes, classes), dtype=np.int64)
    tile_true, tile_score, losses = [], [], []
    for batch in batches:
        t = to_tensors(batch, device)
        out = model(t, modalities)
        losses.append(float(model.loss(out, t)))
        if "labels" in t:
            pred = out["patch_logits"].argmax(-1).reshape(-1).cpu().numpy()
            cm += confusion(t["labels"].reshape(-1).cpu().numpy(), pred, classes)
        if "tile_labels" in t:
            tile_true.append(t["tile_labels"].float().cpu().numpy())
            tile_score.append(torch.sigmoid(out["tile_logits"].float()).cpu().numpy())
    metrics = patch_metrics(cm)
    metrics["tile_f1"] = (multilabel_f1(np.concatenate(tile_true), np.concatenate(tile_score))
                          if tile_true else float("nan"))
    metrics["loss"] = float(np.mean(losses)) if losses else float("nan")
    return metrics


def finetune(cfg: OmniSatConfig, classes_count: int, train_batches: Callable[[int], Iterable[dict[str, Any]]],
             val_batches: Callable[[], Iterable[dict[str, Any]]], opts: TrainOptions, ctx: TrainingContext,
             ckpt_dir: Path | None, init_state: dict[str, torch.Tensor] | None = None) -> TrainResult:
    """Returns the best OmniSatClassifier state by validation macro F1 and that epoch's metrics."""
    if classes_count < 2:
        raise InputError(f"labels: {classes_count} class found; a classifier needs at least 2 classes")
    seed_everything(opts.seed)
    device = dist.local_device(choose_device(opts.device))  # under torchrun: this rank's GPU or CPU share
    model = OmniSatClassifier(cfg, classes_count)
    if init_state is not None:
        try:
            loaded = model.load_encoder(init_state)
        except ValueError as err:
            raise InputError(f"base model: {err}") from err
        ctx.event("init", f"encoder initialised from the base model ({len(loaded)} tensors)")
    model.to(device)
    weights = class_weights_for(opts, classes_count, train_batches)
    weights = weights.to(device) if weights is not None else None

    def step(m: torch.nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        out = m(batch, modality_dropout=opts.modality_dropout)
        return dist_train.unwrap(m).loss(out, batch, weights), {}  # m may be DDP, which has no .loss

    def evaluate(m: torch.nn.Module) -> tuple[float, dict[str, Any]]:
        metrics = evaluate_classifier(m, val_batches(), classes_count, device)
        score = metrics["macro_f1"] if metrics["patches"] else -metrics["loss"]
        return score, metrics

    return fit(model, stage="finetune", size=cfg.size, step_fn=step, evaluate=evaluate, train_batches=train_batches,
               opts=opts, ctx=ctx, ckpt_dir=ckpt_dir, device=device)
