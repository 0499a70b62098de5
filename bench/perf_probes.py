"""One measurement per fresh process, started by bench_perf with the allocator under test.

    python -m bench.perf_probes model '{"subset": "all", "mode": "forward", "precision": "fp32", "batch": 4}'
    python -m bench.perf_probes bf16-accuracy '{}'

Prints one JSON line. Model probes measure the fp32 2048² matmul of this same process before and after, so their
figures are ratios to the machine's own peak at that moment and compare from run to run on a noisy machine.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any

import numpy as np
import torch

from bench.bench_model import BANDS, CLASSES, K_AERIAL, SUBSETS, P, count_flops, matmul_peak, synthetic_batch
from runner.allocator import current_allocator
from runner.model import OmniSatClassifier, OmniSatConfig, OmniSatPretrainer, to_tensors
from runner.train.device import choose_device

SUBSETS = {**SUBSETS, "s1": ["s1"]}


def _median_time(fn, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def conv_peak(repeats: int = 5) -> float:
    """GFLOP/s of a 3×3, 256→256 channel convolution (the aerial CNN's work) on this machine, best of `repeats`.

    oneDNN's convolution kernels beat the 2048² matmul on AVX-512 CPUs, so a conv-heavy model can exceed 100 % of
    the matmul figure; this second anchor shows by how much."""
    x = torch.randn(144, 256, 12, 12).contiguous(memory_format=torch.channels_last)  # the first ResBlock at batch 4
    conv = torch.nn.Conv2d(256, 256, 3, padding=1, bias=False).to(memory_format=torch.channels_last)
    flops = 2 * 144 * 12 * 12 * 256 * 256 * 9
    with torch.inference_mode():
        conv(x)
        best = min(_timed(lambda: conv(x)) for _ in range(repeats))
    return flops / best / 1e9


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def probe_model(subset: str, mode: str, precision: str, batch: int, repeats: int = 3) -> dict[str, Any]:
    """Forward (inference) tiles/s or a pretraining step's seconds, as a fraction of this process's matmul peak."""
    device = choose_device("cpu")  # the runner's thread setting: every core this process may use
    mods = SUBSETS[subset]
    torch.manual_seed(0)
    cfg = OmniSatConfig.for_size("base", {m: BANDS[m] for m in mods}, tile_patches=P, aerial_px=K_AERIAL)
    peak_before = matmul_peak()
    amp = torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")
    data = to_tensors(synthetic_batch(batch, mods), device)
    if mode == "forward":
        model = OmniSatClassifier(cfg, CLASSES).eval()
        one = to_tensors(synthetic_batch(1, mods), device)
        with torch.inference_mode():
            flops = count_flops(lambda: model(one)) * batch

            def step() -> None:
                with amp:
                    model(data)
            seconds = _median_time(step, repeats, warmup=2)
    else:
        model = OmniSatPretrainer(cfg).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step() -> None:
            with amp:
                loss = model(data)["loss"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        flops = count_flops(step)
        seconds = _median_time(step, repeats)
    peak_after = matmul_peak()
    peak = max(peak_before, peak_after)
    conv = conv_peak()
    return {"subset": subset, "mode": mode, "precision": precision, "batch": batch,
            "allocator": current_allocator(), "threads": torch.get_num_threads(),
            "seconds": seconds, "tiles_per_s": batch / seconds, "gflop": flops / 1e9,
            "gflop_s": flops / seconds / 1e9, "matmul_peak": peak, "conv_peak": conv,
            "fraction_of_conv_peak": flops / seconds / 1e9 / conv, "fraction_of_peak": flops / seconds / 1e9 / peak,
            "peak_drift": abs(peak_after - peak_before) / peak}


def probe_bf16_accuracy(seed: int = 0) -> dict[str, Any]:
    """Fine-tune a small classifier on a synthetic task in fp32 and in bf16 autocast, score both on held-out
    batches with the same precision as trained, and the fp32 model also in bf16 inference."""
    from runner.train.metrics import confusion, patch_metrics
    from tests.model.conftest import batch_set

    device = choose_device("cpu")
    train, test = batch_set(seed, 24, k=10, t=12), batch_set(seed + 100, 8, k=10, t=12)
    scores: dict[str, float] = {}
    models = {}
    for precision in ("fp32", "bf16"):
        torch.manual_seed(seed)
        cfg = OmniSatConfig.for_size("tiny", {"aerial": 4, "s1": 2, "s2": 10}, tile_patches=6, aerial_px=10)
        model = OmniSatClassifier(cfg, 4)
        opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
        amp = torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")
        for _epoch in range(6):
            for b in train:
                t = to_tensors(b, device)
                with amp:
                    loss = model.loss(model(t), t)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        models[precision] = model.eval()
    for name, model, infer in (("fp32", models["fp32"], "fp32"), ("bf16", models["bf16"], "bf16"),
                               ("fp32_trained_bf16_inference", models["fp32"], "bf16")):
        preds, labels = [], []
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=infer == "bf16"):
            for b in test:
                t = to_tensors(b, device)
                preds.append(model(t)["patch_logits"].float().argmax(-1).reshape(-1).numpy())
                labels.append(b["labels"].reshape(-1))
        cm = confusion(np.concatenate(labels), np.concatenate(preds), 4)
        scores[name] = float(patch_metrics(cm)["macro_f1"])
    return {"macro_f1": scores, "bf16_minus_fp32": scores["bf16"] - scores["fp32"],
            "bf16_inference_minus_fp32": scores["fp32_trained_bf16_inference"] - scores["fp32"]}


def main(argv: list[str]) -> int:
    kind, params = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    if kind == "model":
        result = probe_model(**params)
    elif kind == "bf16-accuracy":
        result = probe_bf16_accuracy(**params)
    else:
        print(f"unknown probe {kind}", file=sys.stderr)
        return 2
    print("@@PROBE@@" + json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
