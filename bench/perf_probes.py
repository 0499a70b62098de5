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
from collections.abc import Callable
from typing import Any

import torch

from bench.bench_model import (
    BANDS,
    CLASSES,
    K_AERIAL,
    SUBSETS,
    P,
    count_flops,
    matmul_peak,
    pretrain_step,
    synthetic_batch,
)
from runner.allocator import current_allocator
from runner.model import OmniSatClassifier, OmniSatConfig, OmniSatPretrainer, to_tensors
from runner.model.fuse import prepare_for_inference
from runner.model.ltae import LTAE
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


def convolution_seconds(fn: Callable[[], None], runs: int = 3) -> float:
    """Wall time one call of `fn` spends inside convolution kernels (forward and backward), the mean of `runs`
    profiled calls.

    Why: the aerial CNN's 3×3 convolutions carry ~90 % of the tri-modal model's FLOPs, and oneDNN runs them at
    a speed of its own (the 2048² matmul figure is not theirs). `model FLOPs / this time` is the fraction of the
    matmul figure the model would reach if every other op took no time at all: the ceiling of eager tuning.
    Self times, so wrappers do not count twice; with intra-op threads an op's self time is its wall time."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(runs):
            fn()
    return sum(e.self_cpu_time_total for e in prof.key_averages() if "conv" in e.key.lower()) / 1e6 / runs


def probe_model(subset: str, mode: str, precision: str, batch: int, repeats: int = 3,
                compile: bool = False, size: str = "base") -> dict[str, Any]:
    """Forward (inference) tiles/s or a pretraining step's seconds, as a fraction of this process's matmul peak.

    `compile=True` (forward only) measures `torch.compile` with Inductor's weight freezing instead of the
    runner's eager path, after its compilation: what fused kernels would buy, not what users get."""
    device = choose_device("cpu")  # the runner's thread setting: every core this process may use
    mods = SUBSETS[subset]
    torch.manual_seed(0)
    cfg = OmniSatConfig.for_size(size, {m: BANDS[m] for m in mods}, tile_patches=P, aerial_px=K_AERIAL)
    peak_before = matmul_peak()
    amp = torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")
    data = to_tensors(synthetic_batch(batch, mods), device)
    if mode == "forward":
        model = OmniSatClassifier(cfg, CLASSES).eval()
        one = to_tensors(synthetic_batch(1, mods), device)
        with torch.inference_mode():
            # counted before the fused Linear→ReLU calls, which the FLOP counter does not see (same matmuls)
            flops = model_flops(model, one) * batch  # the model's FLOPs as specified (MFU convention)
            executed = count_flops(lambda: model(one)) * batch  # what the rewritten eval LTAE actually runs
        prepare_for_inference(model, fuse_activations=not compile)  # as the runner's Predictor does
        forward = model
        compile_s = 0.0
        if compile:
            import torch._inductor.config as inductor_config

            inductor_config.freezing = True  # constant weights: prepacked oneDNN convolutions, folded epilogues
            forward = torch.compile(model, dynamic=False)
        with torch.inference_mode():
            def step() -> None:
                with amp:
                    forward(data)
            if compile:
                compile_s = _timed(step)
            seconds = _median_time(step, repeats, warmup=2)
            conv_s = convolution_seconds(step)
    else:
        if compile:
            raise ValueError("compile is measured for inference only")
        step = pretrain_step(OmniSatPretrainer(cfg).train(), data, amp)
        flops = executed = count_flops(step)
        seconds = _median_time(step, repeats)
        conv_s = convolution_seconds(step, runs=2)
    peak_after = matmul_peak()
    peak = max(peak_before, peak_after)
    conv = conv_peak()
    return {"subset": subset, "mode": mode, "precision": precision, "batch": batch, "compiled": compile,
            "compile_seconds": compile_s if mode == "forward" else 0.0,
            "conv_seconds": conv_s, "conv_share": conv_s / seconds,
            "conv_bound_fraction": flops / conv_s / 1e9 / peak if conv_s > 0 else None,
            "allocator": current_allocator(), "threads": torch.get_num_threads(),
            "seconds": seconds, "tiles_per_s": batch / seconds, "gflop": flops / 1e9,
            "executed_gflop": executed / 1e9, "executed_fraction_of_peak": executed / seconds / 1e9 / peak,
            "gflop_s": flops / seconds / 1e9, "matmul_peak": peak, "conv_peak": conv,
            "fraction_of_conv_peak": flops / seconds / 1e9 / conv, "fraction_of_peak": flops / seconds / 1e9 / peak,
            "peak_drift": abs(peak_after - peak_before) / peak}


def model_flops(model: OmniSatClassifier, batch: dict) -> int:
    """FLOPs of one forward in the model's own formulation: the LTAEs' training path (valid observations only,
    full key projection), not the algebraically reduced inference path (`runner/model/ltae_inference.py`).

    Why: fractions of the matmul peak should say how fast the machine runs *this model*, as model-FLOP
    utilisation does for transformers; counting the reduced path would make a faster rewrite look less efficient.
    The training path is the conservative count (it skips padded observations that the reference embeds)."""
    ltaes = [m for m in model.modules() if isinstance(m, LTAE)]
    for m in ltaes:
        m.dense_inference = False
    try:
        return count_flops(lambda: model(batch))
    finally:
        for m in ltaes:
            m.dense_inference = True


def probe_bf16_accuracy(seed: int = 0, epochs: int = 12, size: str = "tiny",
                        train_bf16: bool = True) -> dict[str, Any]:
    """Fine-tune `size` from scratch on the west half of a 1 km² synthetic scene in fp32 and (`train_bf16`) in
    bf16 autocast, classify the extent in the same precision, score both on the held-out east half; also the
    fp32 model classified in bf16, and the share of patches whose class the two fp32-trained maps agree on. The
    operations are the runner's own (run_operation), with `amp` set as a user would."""
    import tempfile
    from pathlib import Path

    import rasterio

    from demo.metrics import score_map
    from demo.split_labels import split_halves
    from runner.geo.scene import make_scene
    from runner.jobs.context import ConsoleContext
    from runner.ops import run_operation

    with tempfile.TemporaryDirectory(prefix="omnisat-bf16-") as tmp:
        root = Path(tmp)
        make_scene(root / "scene", size_km=1.0, seed=seed, aerial_res=1.0)
        west, east, _ = split_halves(root / "scene" / "labels.gpkg", root)
        inputs = {"aerial": str(root / "scene" / "aerial.tif"), "device": "cpu",
                  "s1": sorted(str(f) for f in (root / "scene" / "s1").glob("*.tif")),
                  "s2": sorted(str(f) for f in (root / "scene" / "s2").glob("*.tif"))}

        def ctx(name: str) -> ConsoleContext:
            return ConsoleContext(name, root / "home", root / "home" / "jobs" / name, quiet=True)

        scores: dict[str, Any] = {}
        seconds: dict[str, float] = {}
        for precision, amp in (("fp32", "off"), ("bf16", "bf16"))[:2 if train_bf16 else 1]:
            t0 = time.perf_counter()
            run_operation("finetune", {**inputs, "labels": str(west), "class_field": "class_name", "size": size,
                                       "epochs": epochs, "seed": seed, "amp": amp, "out_model": f"m-{precision}"},
                          ctx(f"ft-{precision}"))
            seconds[f"finetune_{precision}"] = round(time.perf_counter() - t0, 1)
            for infer, iamp in (("fp32", "off"), ("bf16", "bf16")):
                if precision == "bf16" and infer == "fp32":
                    continue
                t0 = time.perf_counter()
                res = run_operation("classify", {**inputs, "model": f"m-{precision}", "amp": iamp,
                                                 "out": str(root / f"{precision}-{infer}.tif")}, ctx(f"cl-{precision}"))
                seconds[f"classify_{precision}_{infer}"] = round(time.perf_counter() - t0, 1)
                m = score_map(Path(res["class_map"]), east, "class_name", res["classes"])
                scores[f"trained_{precision}_inferred_{infer}"] = {"overall_accuracy": m["overall_accuracy"],
                                                                   "macro_f1": m["macro_f1"]}
        with rasterio.open(root / "fp32-fp32.tif") as a, rasterio.open(root / "fp32-bf16.tif") as b:
            agreement = float((a.read(1) == b.read(1)).mean())
    f1 = {k: v["macro_f1"] for k, v in scores.items()}
    out = {"held_out": scores, "seconds": seconds, "epochs": epochs, "size": size,
           "bf16_inference_pixel_agreement": round(agreement, 5),
           "bf16_inference_minus_fp32_macro_f1": round(f1["trained_fp32_inferred_bf16"]
                                                       - f1["trained_fp32_inferred_fp32"], 4)}
    if train_bf16:
        out["bf16_training_minus_fp32_macro_f1"] = round(f1["trained_bf16_inferred_bf16"]
                                                         - f1["trained_fp32_inferred_fp32"], 4)
    return out


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
