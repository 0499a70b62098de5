"""One rank of `torchrun --nproc_per_node 1`: the runner's multi-GPU code with a real process group of one.

The runner treats WORLD_SIZE 1 as a plain single process (runner.distributed.env.read_env), so here the group is formed
the way the runner forms it for several ranks (`init_process_group` with the backend read_env picks:
"cpu:gloo,cuda:nccl" on a GPU machine, gloo on a CPU), and the runner's DistInfo is told it is distributed. Then
its collectives (mean_over_ranks on gloo, sync_buffers on the device's backend, broadcast, barrier) and its DDP
wrapping run for real; a DDP gradient must equal the plain model's.

    torchrun --standalone --nproc_per_node 1 -m bench.gpu_check.dist_worker cuda OUT.json
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

import torch


def main(device_name: str, out: Path) -> int:
    import torch.distributed as tdist

    from bench.gpu_check.common import CLASSES, CPU_SIZES, config, grad_error, grads, synthetic_batch
    from runner import distributed as dist
    from runner.distributed import env as denv
    from runner.distributed import train as dtrain
    from runner.model import OmniSatClassifier, to_tensors

    res: dict[str, Any] = {"world_size_env": int(os.environ.get("WORLD_SIZE", "0")),
                           "runner_single_process": not denv.read_env().distributed}
    backend = denv.read_env({"WORLD_SIZE": "2", "RANK": "0"}).backend  # what the runner uses for a real group
    device = torch.device(device_name)
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        device = torch.device("cuda", torch.cuda.current_device())
    tdist.init_process_group(backend=backend, timeout=dt.timedelta(seconds=120))

    class Group(denv.DistInfo):
        distributed = property(lambda self: True)  # a group of one, used through the multi-process code

    denv._INFO = Group(0, 1, 0, 1, backend)
    res["backend"] = backend
    if device.type == "cuda":
        v = torch.cuda.nccl.version()
        res["nccl_version"] = ".".join(map(str, v)) if isinstance(v, tuple) else str(v)

    t = torch.arange(4, dtype=torch.float32, device=device)
    tdist.all_reduce(t)
    res["all_reduce_on_device"] = bool(torch.equal(t.cpu(), torch.arange(4, dtype=torch.float32)))
    res["mean_over_ranks_gloo"] = dtrain.mean_over_ranks({"a": 1.5, "b": -2.0}) == {"a": 1.5, "b": -2.0}
    res["broadcast"] = dist.broadcast("omnisat") == "omnisat"
    dist.barrier()

    torch.manual_seed(0)
    cfg = config(CPU_SIZES, no_dropout=True)
    model = OmniSatClassifier(cfg, CLASSES).to(device).train()
    plain = copy.deepcopy(model)
    net = dtrain.wrap(model, device)
    res["ddp_wrapped"] = isinstance(net, torch.nn.parallel.DistributedDataParallel)
    batch = to_tensors(synthetic_batch(CPU_SIZES, 2, seed=4, padded=2), device)
    for m in (net, plain):
        loss = dtrain.unwrap(m).loss(m(batch), batch)
        loss.backward()
    g_err, cos = grad_error(grads(model), grads(plain))
    res["ddp_grad_rel_error"], res["ddp_grad_cosine"] = g_err, cos
    dtrain.sync_buffers(model)  # BatchNorm buffers all-reduced on the device's backend
    res["sync_buffers_equal"] = all(torch.equal(a, b) for a, b in zip(model.buffers(), plain.buffers(), strict=True))
    dist.barrier()
    dist.shutdown()
    out.write_text(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], Path(sys.argv[2])))
