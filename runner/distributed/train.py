"""What the training loop needs under torchrun: DDP wrapping, per-rank data, replica-identical bookkeeping.

DDP averages gradients, so replicas that start equal stay equal through every optimizer step. What DDP does not
cover, and this module does: BatchNorm running statistics (local to each rank), the numbers the early-stop
decision reads (the training loss), the class weights, and random draws (each rank's own stream, re-derived
every epoch so a resumed run draws exactly what the uninterrupted one would have).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch

from runner.distributed.env import DistInfo, info

# A debug switch for tests and for users checking their cluster: every rank writes the sha256 of its final
# weights to <job folder>/state-rank<r>.sha256, so identical replicas can be verified from the outside.
HASH_ENV = "OMNISAT_DIST_STATE_HASH"


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel around `model` under torchrun; the model itself in a single process.

    find_unused_parameters: the classifier never uses the combiner's mask token (a pretraining parameter), and
    a batch can leave others out of the graph; without it DDP fails at the second step ("Expected to have
    finished reduction in the prior iteration"), as measured on the tiny model.
    """
    if not info().distributed:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module inside a DDP wrapper (for its own methods, state_dict keys without `module.`)."""
    return model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model


def reseed_for_epoch(seed: int, epoch: int) -> None:
    """Give each rank its own random stream for this epoch (dropout, masks, modality dropout).

    Identical streams would repeat the same masks on every rank's batch; a stream derived from (seed, epoch, rank)
    at every epoch start also needs no per-rank RNG state in the checkpoint to resume exactly.
    """
    d = info()
    if d.distributed:
        torch.manual_seed((seed * 1_000_003 + epoch * 1_009 + d.rank) % 2**63)


def mean_over_ranks(values: dict[str, float]) -> dict[str, float]:
    """The mean of each value over ranks (a CPU tensor: gloo); the values themselves in a single process."""
    d = info()
    if not d.distributed or not values:
        return values
    keys = list(values)  # the same keys in the same order on every rank (the same code made them)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64)
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.SUM)
    return {k: float(v) / d.world_size for k, v in zip(keys, t.tolist(), strict=True)}


def sum_over_ranks(counts: np.ndarray) -> np.ndarray:
    """Element-wise sum of an integer array over ranks (class counts for the class weights)."""
    if not info().distributed:
        return counts
    t = torch.from_numpy(np.ascontiguousarray(counts, dtype=np.int64))
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.SUM)
    return t.numpy().astype(counts.dtype)


def sync_buffers(model: torch.nn.Module) -> None:
    """Make BatchNorm running statistics identical on every rank: float buffers averaged, counters from rank 0.

    During an epoch DDP broadcasts rank 0's buffers before each forward, but the last step's update stays local;
    without this, validation (and so early stopping) and the saved weights would differ between ranks.
    """
    d = info()
    if not d.distributed:
        return
    with torch.no_grad():
        for buf in unwrap(model).buffers():
            if buf.is_floating_point():
                torch.distributed.all_reduce(buf, op=torch.distributed.ReduceOp.SUM)
                buf.div_(d.world_size)
            else:
                torch.distributed.broadcast(buf, src=0)


def state_sha256(state: dict[str, torch.Tensor]) -> str:
    """A digest of a state_dict that is equal iff every name, dtype, shape and value is equal."""
    h = hashlib.sha256()
    for k in sorted(state):
        v = state[k].detach().to("cpu").contiguous()
        h.update(f"{k}|{v.dtype}|{tuple(v.shape)}|".encode())
        h.update(v.reshape(-1).view(torch.uint8).numpy().tobytes())  # raw bytes (bf16 too)
    return h.hexdigest()


def write_state_hash(work_dir: Path, model: torch.nn.Module, best: dict[str, torch.Tensor],
                     d: DistInfo | None = None) -> Path | None:
    """With OMNISAT_DIST_STATE_HASH=1, write this rank's digests of its best and last weights to
    <work_dir>/state-rank<r>.sha256 (`best <sha256>` and `last <sha256>` lines); else nothing."""
    if not os.environ.get(HASH_ENV):
        return None
    d = d or info()
    path = Path(work_dir) / f"state-rank{d.rank}.sha256"
    path.write_text(f"best {state_sha256(best)}\nlast {state_sha256(unwrap(model).state_dict())}\n")
    return path
