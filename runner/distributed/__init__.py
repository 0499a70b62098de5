"""Distributed runs with torchrun: DDP training on sharded tiles, inference sharded by tiles and merged on rank 0.

    torchrun --standalone --nproc-per-node 2 -m runner finetune ...
    torchrun --nnodes 2 --node-rank 0 --master-addr HOST --master-port 29500 --nproc-per-node 4 -m runner classify ...

Without torchrun's environment every function here is a no-op and the runner is a plain single process.
See docs/distributed.md.
"""

from runner.distributed.env import (
    DistInfo,
    barrier,
    broadcast,
    cpu_threads,
    info,
    is_main,
    job_id,
    limit_cpu_threads,
    local_device,
    read_env,
    shard_bounds,
    shard_padded,
    shutdown,
)

__all__ = ["DistInfo", "barrier", "broadcast", "cpu_threads", "info", "is_main", "job_id", "limit_cpu_threads",
           "local_device", "read_env", "shard_bounds", "shard_padded", "shutdown"]
