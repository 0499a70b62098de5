"""Who am I in a torchrun job: rank, world size, process group, device and CPU threads.

torchrun starts one process per GPU (or per CPU share) with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE and
MASTER_ADDR/MASTER_PORT in the environment. Everything here reads those once, initialises the process group once,
and is a no-op when they are absent, so a single process behaves exactly as it did before torchrun support.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from dataclasses import dataclass
from typing import Any

import torch

from runner.errors import ResourceError

# How long a rank waits for the others at a collective. Ranks meet after whole stages (scene opened, an epoch's
# validation, a shard classified), which on a big extent can differ by minutes; torchrun tears the job down when
# a rank dies, so a long wait never hides a failure. Override with OMNISAT_DIST_TIMEOUT_S.
DEFAULT_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job; world_size 1 means a plain single-process run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1
    backend: str | None = None

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


_INFO: DistInfo | None = None


def read_env(env: dict[str, str] | None = None) -> DistInfo:
    """The DistInfo torchrun's variables describe (no process group is touched)."""
    env = dict(os.environ if env is None else env)
    world = int(env.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return DistInfo()
    rank = int(env["RANK"])
    local_rank = int(env.get("LOCAL_RANK", rank))
    local_world = int(env.get("LOCAL_WORLD_SIZE", world))
    if not 0 <= rank < world:
        raise ResourceError(f"RANK {rank} is outside WORLD_SIZE {world}")
    # CPU tensors always go through gloo; CUDA tensors through NCCL when there is a GPU. The combined backend
    # keeps `--device cpu` working on a GPU machine (DDP of a CPU model over gloo).
    backend = "cpu:gloo,cuda:nccl" if torch.cuda.is_available() else "gloo"
    return DistInfo(rank, world, local_rank, local_world, backend)


def info() -> DistInfo:
    """This process's DistInfo; the first call under torchrun joins the process group (once per process)."""
    global _INFO
    if _INFO is None:
        found = read_env()
        if found.distributed and not torch.distributed.is_initialized():
            if torch.cuda.is_available() and found.local_rank < torch.cuda.device_count():
                torch.cuda.set_device(found.local_rank)  # before NCCL creates its communicator on device 0
            timeout = dt.timedelta(seconds=float(os.environ.get("OMNISAT_DIST_TIMEOUT_S", DEFAULT_TIMEOUT_S)))
            torch.distributed.init_process_group(backend=found.backend, timeout=timeout)
        _INFO = found
    return _INFO


def is_main() -> bool:
    """True on rank 0 (and in a single process): the one that writes models, maps and progress."""
    return info().is_main


def barrier() -> None:
    """Wait until every rank gets here; nothing in a single process."""
    if info().distributed:
        torch.distributed.barrier()


def broadcast(value: Any) -> Any:
    """Rank 0's value of a small picklable object, on every rank (through gloo, whatever the device)."""
    if not info().distributed:
        return value
    box = [value]
    torch.distributed.broadcast_object_list(box, src=0, device=torch.device("cpu"))
    return box[0]


def shutdown() -> None:
    """Leave the process group cleanly at the end of a job (avoids NCCL's warning about a leaked group)."""
    global _INFO
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    _INFO = None


def job_id() -> str:
    """One job id for all ranks, so they share the job folder (checkpoints, classify shards).

    A named torchrun run (`--rdzv-id`, or `--standalone`'s own id kept across `--max-restarts`) maps to a fixed
    folder, so a restarted run resumes from its last checkpoint; otherwise rank 0 draws one and tells the others.
    """
    run = os.environ.get("TORCHELASTIC_RUN_ID", "")
    if info().distributed and run and run != "none":
        return "dist-" + re.sub(r"[^A-Za-z0-9_.-]", "_", run)[:64]
    return broadcast("cli-" + secrets.token_hex(6))


def local_device(device: torch.device) -> torch.device:
    """The device this rank works on, with its share of the CPU.

    On CUDA that is cuda:LOCAL_RANK (one GPU per process). On the CPU the ranks of one node split its cores:
    `max(1, cores // local_world_size)` threads each, instead of every rank starting one thread per core and
    all of them thrashing. A single process gets the device back untouched.
    """
    d = info()
    if not d.distributed:
        return device
    if device.type == "cuda":
        if d.local_rank >= torch.cuda.device_count():
            raise ResourceError(f"rank {d.rank}: local rank {d.local_rank} has no GPU (this node has "
                                f"{torch.cuda.device_count()}); start at most that many processes per node")
        return torch.device("cuda", d.local_rank)
    limit_cpu_threads(device)
    return device


def limit_cpu_threads(device: torch.device) -> None:
    """Under torchrun on the CPU, this rank's share of the node's cores as torch threads; else nothing.

    Called after the device is chosen (choosing it sets one thread per core, right for a single process)."""
    d = info()
    if d.distributed and device.type == "cpu":
        torch.set_num_threads(cpu_threads(d))


def cpu_threads(d: DistInfo) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // max(1, d.local_world_size))


def shard_padded(items: list, d: DistInfo | None = None) -> list:
    """This rank's share of a training list: every rank gets the same count, so DDP steps stay in lockstep.

    Like torch's DistributedSampler: the list is padded to a multiple of the world size by repeating items
    from its start, then rank r takes every world_size-th item from position r. Deterministic; the caller
    shuffles first (with the same seed on every rank) for a new order each epoch.
    """
    d = d or info()
    if not d.distributed or not items:
        return list(items)
    per_rank = -(-len(items) // d.world_size)
    padded = [items[i % len(items)] for i in range(per_rank * d.world_size)]
    return padded[d.rank::d.world_size]


def shard_bounds(n: int, world_size: int, block: int = 1) -> list[tuple[int, int]]:
    """Exact, disjoint, contiguous [start, end) ranges of n items for each rank, cut at multiples of `block`.

    For inference: contiguous shards keep each rank reading one band of the extent (less redundant warping)
    and let rank 0 merge them in order; cutting at batch boundaries gives every rank the very batches a single
    process would run. Ranks past the end get empty ranges.
    """
    block = max(1, block)
    blocks = -(-n // block)
    out = []
    for r in range(world_size):
        a, b = r * blocks // world_size, (r + 1) * blocks // world_size
        out.append((min(a * block, n), min(b * block, n)))
    return out
