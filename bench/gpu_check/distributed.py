"""The multi-GPU code path with world size 1: `torchrun --standalone --nproc_per_node 1` running dist_worker.py
(NCCL for device tensors on CUDA, gloo on the CPU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.gpu_check.report import Section

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300


def torchrun() -> list[str]:
    exe = Path(sys.executable).with_name("torchrun")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "torch.distributed.run"]


def run_dist(device_name: str, root: Path, sec: Section) -> None:
    out = root / "dist.json"
    cmd = [*torchrun(), "--standalone", "--nproc_per_node", "1", "-m", "bench.gpu_check.dist_worker", device_name,
           str(out)]
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)  # nosec B603
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"torchrun failed ({proc.returncode}): {proc.stderr[-1500:]}")
    res: dict[str, Any] = json.loads(out.read_text())
    want = "cpu:gloo,cuda:nccl" if device_name == "cuda" else "gloo"
    sec.check(f"torchrun --nproc_per_node 1 forms the runner's process group ({want})",
              res["backend"] == want and res["world_size_env"] == 1 and res["runner_single_process"],
              f"backend {want}; WORLD_SIZE 1 is a single process for the runner itself", backend=res["backend"],
              nccl_version=res.get("nccl_version"))
    sec.check("collectives: all_reduce on the device, mean_over_ranks (gloo), broadcast, barrier",
              res["all_reduce_on_device"] and res["mean_over_ranks_gloo"] and res["broadcast"], "exact results",
              all_reduce_on_device=res["all_reduce_on_device"], mean_over_ranks=res["mean_over_ranks_gloo"],
              broadcast=res["broadcast"])
    sec.check("DDP (runner.distributed.train.wrap) gradient equals the plain model's; sync_buffers keeps BatchNorm "
              "stats",
              res["ddp_wrapped"] and res["ddp_grad_rel_error"] <= 1e-6 and res["sync_buffers_equal"],
              "gradient relative error <= 1e-6, buffers identical", grad_rel_error=res["ddp_grad_rel_error"],
              grad_cosine=res["ddp_grad_cosine"], buffers_identical=res["sync_buffers_equal"])
