"""Model benchmark: `base` at TreeSatAI-TS geometry (6×6 patches, 50×50 aerial px per patch, S1/S2 50 dates).

For all three modalities, S2 only and S1+S2: parameters, FLOPs per tile (torch.utils.flop_counter), forward
tiles/s, classifier and pretraining step times, achieved GFLOP/s against the fp32 2048² matmul peak measured
in the same run. `run() -> dict`; `python -m bench.bench_model` also writes bench/results.json["model"].
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from runner.model import OmniSatClassifier, OmniSatConfig, OmniSatPretrainer, to_tensors

P, K_AERIAL, DATES, CLASSES = 6, 50, 50, 15
BANDS = {"aerial": 4, "s1": 2, "s2": 10}
SUBSETS = {"all": ["aerial", "s1", "s2"], "s2": ["s2"], "s1+s2": ["s1", "s2"]}
FORWARD_BATCH = int(os.environ.get("OMNISAT_BENCH_FORWARD_BATCH", "4"))
TRAIN_BATCH = int(os.environ.get("OMNISAT_BENCH_TRAIN_BATCH", "2"))
REPEATS = int(os.environ.get("OMNISAT_BENCH_REPEATS", "3"))


def synthetic_batch(b: int, modalities: list[str], seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    batch: dict[str, Any] = {}
    if "aerial" in modalities:
        batch["aerial"] = rng.normal(size=(b, 4, P * K_AERIAL, P * K_AERIAL)).astype(np.float32)
    for m in ("s1", "s2"):
        if m in modalities:
            batch[m] = rng.normal(size=(b, DATES, BANDS[m], P, P)).astype(np.float32)
            batch[f"{m}_doy"] = np.tile(np.linspace(5, 360, DATES).astype(np.int64), (b, 1))
            batch[f"{m}_mask"] = rng.random((b, DATES, P, P)) > 0.1
    batch["labels"] = rng.integers(0, CLASSES, size=(b, P, P)).astype(np.int64)
    batch["tile_labels"] = (rng.random((b, CLASSES)) > 0.7).astype(np.float32)
    return batch


DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _sync() -> None:
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak(n: int = 2048, repeats: int = 5) -> float:
    """Measured fp32 GFLOP/s of an n×n matmul on this machine, best of `repeats`."""
    a, b = torch.randn(n, n, device=DEVICE), torch.randn(n, n, device=DEVICE)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        _sync()
        t0 = time.perf_counter()
        torch.mm(a, b)
        _sync()
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def count_flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        _sync()
        t0 = time.perf_counter()
        fn()
        _sync()
        times.append(time.perf_counter() - t0)
    return min(times)


def pretrain_step(model: torch.nn.Module, data: dict[str, Any], amp: Any = None):
    """One AdamW pretraining step on `data` as a closure (under `amp`, an autocast context, when given)."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step() -> None:
        with amp if amp is not None else contextlib.nullcontext():
            loss = model(data)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def bench_subset(name: str, modalities: list[str], peak: float) -> dict[str, Any]:
    torch.manual_seed(0)
    cfg = OmniSatConfig.for_size("base", {m: BANDS[m] for m in modalities}, tile_patches=P, aerial_px=K_AERIAL)
    clf = OmniSatClassifier(cfg, CLASSES).to(DEVICE).eval()
    one = to_tensors(synthetic_batch(1, modalities), DEVICE)
    fwd = to_tensors(synthetic_batch(FORWARD_BATCH, modalities), DEVICE)
    with torch.inference_mode():
        flops_tile = count_flops(lambda: clf(one))
        t_fwd = best_time(lambda: clf(fwd), REPEATS)
    tiles_s = FORWARD_BATCH / t_fwd

    train = to_tensors(synthetic_batch(TRAIN_BATCH, modalities, seed=1), DEVICE)
    clf.train()
    opt = torch.optim.AdamW(clf.parameters(), lr=1e-4)

    def ft_step() -> None:
        loss = clf.loss(clf(train), train)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    flops_ft = count_flops(ft_step)
    t_ft = best_time(ft_step, REPEATS)

    pre = OmniSatPretrainer(cfg).to(DEVICE).train()
    pre_step = pretrain_step(pre, train)
    flops_pre = count_flops(pre_step)
    t_pre = best_time(pre_step, REPEATS)
    fwd_gflops = flops_tile * tiles_s / 1e9
    res = {
        "modalities": modalities,
        "encoder_params": sum(p.numel() for p in clf.encoder.parameters()),
        "pretrainer_params": sum(p.numel() for p in pre.parameters()),
        "gflop_per_tile_forward": round(flops_tile / 1e9, 3),
        "forward_batch": FORWARD_BATCH,
        "forward_tiles_per_s": round(tiles_s, 3),
        "forward_gflop_s": round(fwd_gflops, 2),
        "forward_fraction_of_peak": round(fwd_gflops / peak, 3),
        "train_batch": TRAIN_BATCH,
        "finetune_step_s": round(t_ft, 3),
        "finetune_step_gflop": round(flops_ft / 1e9, 2),
        "finetune_gflop_s": round(flops_ft / t_ft / 1e9, 2),
        "pretrain_step_s": round(t_pre, 3),
        "pretrain_step_gflop": round(flops_pre / 1e9, 2),
        "pretrain_gflop_s": round(flops_pre / t_pre / 1e9, 2),
        "pretrain_fraction_of_peak": round(flops_pre / t_pre / 1e9 / peak, 3),
    }
    print(f"[{name}] {json.dumps(res)}", flush=True)
    return res


def run() -> dict[str, Any]:
    torch.set_num_threads(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    peak = matmul_peak()
    out: dict[str, Any] = {"device": str(DEVICE), "precision": "fp32", "threads": torch.get_num_threads(),
                           "torch": torch.__version__,
                           "matmul_peak_gflop_s": round(peak, 2),
                           "geometry": {"tile_patches": P, "aerial_px": K_AERIAL, "dates": DATES}}
    for name, mods in SUBSETS.items():
        out[name] = bench_subset(name, mods, peak)
    out["matmul_peak_gflop_s_after"] = round(matmul_peak(), 2)  # machine shared: shows drift during the run
    return out


if __name__ == "__main__":
    result = run()
    path = Path(__file__).resolve().parent / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results["model"] = {**result, "when": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path.write_text(json.dumps(results, indent=2))
    print(json.dumps(result, indent=2))
