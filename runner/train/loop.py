"""The training loop shared by pretraining and fine-tuning.

AdamW with linear warm-up and cosine decay, early stopping on a validation score, one resumable checkpoint
per epoch, progress per step and an event per epoch, cancel inside every forward and backward pass (hooks
from `JobContext.cancel_points`: a step takes seconds on a CPU) as well as between steps. Everything random (dropout,
masking, modality dropout) draws from RNGs that are seeded and checkpointed, so a resumed run continues
exactly where the interrupted one would have been. Validation runs under a forked, fixed-seed RNG.

Under torchrun (runner/distributed) the model is wrapped in DistributedDataParallel, each rank trains on its share of
the tiles, every rank validates on all validation tiles (so the score and the early-stop decision are the same
everywhere) and only rank 0 writes checkpoints. A single process runs exactly the code it always did.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from runner import distributed as dist
from runner.distributed import train as dist_train
from runner.errors import InputError
from runner.model.tensors import to_tensors
from runner.train.accumulate import ChunkedStep
from runner.train.checkpoint import load_checkpoint, save_checkpoint, set_rng_state
from runner.train.context import TrainingContext
from runner.train.device import amp_dtype, autocast
from runner.train.options import TrainOptions, TrainResult

Batches = Callable[[int], Iterable[dict[str, Any]]]
StepFn = Callable[[torch.nn.Module, dict[str, torch.Tensor]], tuple[torch.Tensor, dict[str, float]]]
EvalFn = Callable[[torch.nn.Module], tuple[float, dict[str, Any]]]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def lr_factor(step: int, epoch: int, step_in_epoch: int, steps_per_epoch: int | None, epochs: int,
              warmup: int) -> float:
    """Linear warm-up over `warmup` steps, then cosine from 1 to 0.01 over the epochs."""
    warm = min(1.0, (step + 1) / warmup) if warmup > 0 else 1.0
    frac = step_in_epoch / steps_per_epoch if steps_per_epoch else 0.0
    progress = min(1.0, (epoch + frac) / max(epochs, 1))
    return warm * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress)))


def out_of_time(started: float, opts: TrainOptions) -> bool:
    """The time budget (pretraining in minutes) is spent; resumed runs count from their restart."""
    return opts.time_budget_s is not None and time.monotonic() - started >= opts.time_budget_s


def cpu_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}


def fit(model: torch.nn.Module, *, stage: str, size: str, step_fn: StepFn, evaluate: EvalFn, train_batches: Batches,
        opts: TrainOptions, ctx: TrainingContext, ckpt_dir: Path | None, device: torch.device) -> TrainResult:
    """Train `model` (already on `device`) and return the best weights by validation score (higher = better)."""
    with ctx.cancel_points(model):
        return _fit(model, stage=stage, size=size, step_fn=step_fn, evaluate=evaluate, train_batches=train_batches,
                    opts=opts, ctx=ctx, ckpt_dir=ckpt_dir, device=device)


def _fit(model: torch.nn.Module, *, stage: str, size: str, step_fn: StepFn, evaluate: EvalFn,
         train_batches: Batches, opts: TrainOptions, ctx: TrainingContext, ckpt_dir: Path | None,
         device: torch.device) -> TrainResult:
    dtype = amp_dtype(device, opts.amp)
    base_lr = opts.learning_rate(stage, size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=base_lr, weight_decay=opts.weight_decay)
    state: dict[str, Any] = {"epoch": 0, "step": 0, "history": [], "best_score": None, "best_epoch": 0,
                             "best_metrics": {}, "stale": 0, "steps_per_epoch": opts.max_steps_per_epoch}
    best: dict[str, torch.Tensor] | None = None
    ck = load_checkpoint(ckpt_dir) if ckpt_dir is not None else None
    if ck is not None:
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        state, best = ck["state"], ck["best"]
        set_rng_state(ck["rng_tensors"], ck["rng_meta"])
        ctx.event("resume", f"{stage}: resuming after epoch {state['epoch']} of {opts.epochs}", epoch=state["epoch"])
    net = dist_train.wrap(model, device)  # DDP under torchrun, `model` itself in a single process
    # Out of memory mid-run: redo the step in halves (accumulate.py). Not under DDP, where every rank must make
    # the same backward passes: there an out-of-memory error ends the run with the batch size to lower.
    step = ChunkedStep(device, dtype, stage, can_shrink=net is model, on_shrink=lambda old, new: ctx.event(
        "memory", f"{stage}: out of memory on {device} with {old} tiles per step; continuing in chunks of {new} "
        "with accumulated gradients", old=old, new=new))

    started = time.monotonic()
    for epoch in range(state["epoch"], opts.epochs):
        if state["stale"] >= opts.patience or out_of_time(started, opts):
            break
        t0 = time.monotonic()
        dist_train.reseed_for_epoch(opts.seed, epoch)
        net.train()
        losses: list[float] = []
        logs_sum: dict[str, float] = {}
        batches = train_batches(epoch)
        spe = state["steps_per_epoch"] or (len(batches) if hasattr(batches, "__len__") else None)
        if spe and opts.max_steps_per_epoch:
            spe = min(spe, opts.max_steps_per_epoch)
        for i, batch in enumerate(batches):
            if opts.max_steps_per_epoch is not None and i >= opts.max_steps_per_epoch:
                break
            ctx.check_cancel()
            if i > 0 and out_of_time(started, opts):  # batches come shuffled over the extent: a partial epoch too
                ctx.event("budget", f"{stage}: the {opts.time_budget_s / 60:g}-minute budget is spent; epoch "
                          f"{epoch + 1} ends after {i} steps and is validated")
                break
            lr = base_lr * lr_factor(state["step"], epoch, i, spe, opts.epochs, opts.warmup)
            for g in optimizer.param_groups:
                g["lr"] = lr
            tensors = to_tensors(batch, device)
            # forward + backward, in accumulated chunks once memory ran out (single process)
            loss, logs = step(net, step_fn, tensors, f"epoch {epoch + 1} step {i + 1}")
            if opts.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), opts.grad_clip)
            optimizer.step()
            state["step"] += 1
            losses.append(float(loss.detach()))
            for k, v in logs.items():
                logs_sum[k] = logs_sum.get(k, 0.0) + v
            total = spe * opts.epochs if spe else 0
            ctx.progress(stage, epoch * (spe or 0) + i + 1, total, epoch=epoch + 1, loss=losses[-1], lr=lr)
        if not losses:
            raise InputError(f"{stage}: no training batches in epoch {epoch + 1}; the training tiles are empty")
        state["steps_per_epoch"] = len(losses)
        dist_train.sync_buffers(model)  # BatchNorm statistics equal on every rank before validating and saving
        # the mean over ranks, so every rank records and (on a non-finite score) decides the same
        means = dist_train.mean_over_ranks({"train_loss": float(np.mean(losses)),
                                            **{f"train_{k}": v / len(losses) for k, v in logs_sum.items()}})

        model.eval()
        forked = [device.index or 0] if device.type == "cuda" else []
        with torch.no_grad(), torch.random.fork_rng(devices=forked), autocast(device, dtype):
            torch.manual_seed(opts.seed + 1)
            score, val = evaluate(model)
        if not math.isfinite(score):
            score = -means["train_loss"]
        record = {"epoch": epoch + 1, **means,
                  **{f"val_{k}": v for k, v in val.items() if isinstance(v, (int, float))},
                  "lr": lr, "seconds": round(time.monotonic() - t0, 2)}
        state["history"].append(record)
        improved = state["best_score"] is None or score > state["best_score"]
        if improved:
            state.update(best_score=score, best_epoch=epoch + 1, best_metrics=val, stale=0)
            best = cpu_state(model)
        else:
            state["stale"] += 1
        state["epoch"] = epoch + 1
        ctx.event("epoch", f"{stage} epoch {epoch + 1}/{opts.epochs}: train loss {record['train_loss']:.4f}, "
                  + ", ".join(f"{k} {v:.4f}" for k, v in record.items() if k.startswith("val_"))
                  + (" (best)" if improved else ""), **record)
        if ckpt_dir is not None and dist.is_main():
            save_checkpoint(Path(ckpt_dir), model, optimizer, state, best)
        dist.barrier()  # the others wait for rank 0's checkpoint
        if state["stale"] >= opts.patience:
            ctx.event("early_stop", f"{stage}: no validation improvement for {opts.patience} epochs; best epoch "
                      f"{state['best_epoch']}")
            break
    weights = best if best is not None else cpu_state(model)
    dist_train.write_state_hash(ctx.work_dir, model, weights)  # only with OMNISAT_DIST_STATE_HASH set
    return TrainResult(state_dict=weights, history=state["history"],
                       metrics=state["best_metrics"], best_epoch=state["best_epoch"])
