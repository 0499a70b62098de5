"""Self-supervised pretraining: contrastive + masked reconstruction, early stopping on validation loss."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from runner import distributed as dist
from runner.model import OmniSatConfig, OmniSatPretrainer, to_tensors
from runner.train.context import TrainingContext
from runner.train.device import choose_device
from runner.train.loop import fit, seed_everything
from runner.train.options import TrainOptions, TrainResult


def pretrain(cfg: OmniSatConfig, train_batches: Callable[[int], Iterable[dict[str, Any]]],
             val_batches: Callable[[], Iterable[dict[str, Any]]], opts: TrainOptions, ctx: TrainingContext,
             ckpt_dir: Path | None) -> TrainResult:
    """Returns the best OmniSatPretrainer state (encoder.* + decoders.*) by validation loss."""
    seed_everything(opts.seed)
    device = dist.local_device(choose_device(opts.device))  # under torchrun: this rank's GPU or CPU share
    model = OmniSatPretrainer(cfg).to(device)

    def step(m: torch.nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        out = m(batch, modality_dropout=opts.modality_dropout)
        return out["loss"], {k: float(v.detach()) for k, v in out.items() if k != "loss"}

    def evaluate(m: torch.nn.Module) -> tuple[float, dict[str, Any]]:
        sums: dict[str, list[float]] = {}
        for batch in val_batches():
            out = m(to_tensors(batch, device))
            for k, v in out.items():
                sums.setdefault(k, []).append(float(v))
        if not sums:
            return float("nan"), {}
        metrics = {k: float(np.mean(v)) for k, v in sums.items()}
        return -metrics["loss"], metrics

    return fit(model, stage="pretrain", size=cfg.size, step_fn=step, evaluate=evaluate, train_batches=train_batches,
               opts=opts, ctx=ctx, ckpt_dir=ckpt_dir, device=device)
