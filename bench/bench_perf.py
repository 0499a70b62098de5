"""Performance benchmark (issue 9): the runner against this machine's own matmul peak, and classify at scale.

Every figure comes from a fresh process started the way it is being compared: the runner's default start
(jemalloc keeping pages, `runner.allocator.jemalloc_env`) against the C library's allocator, fp32 against bf16
autocast. Rounds are interleaved (every configuration once per round, then again) and medians reported, because
this machine is shared and its speed drifts by 10-20 % over minutes; fractions of the matmul peak measured in the
same process are the figures that compare from run to run.

Environment: OMNISAT_BENCH_ROUNDS (default 3), OMNISAT_BENCH_SIZES_KM (default "1,2,4": sides in km, i.e. 1, 4
and 16 km²), OMNISAT_BENCH_SCALING_MODALITIES (default "aerial,s1,s2"), OMNISAT_BENCH_CLASSIFY_ROUNDS (default 3;
classify end to end takes ~23 min per round set at the default sizes).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import torch

from bench.bench_model import BANDS, K_AERIAL, P
from bench.perf_classify import classify_scaling
from bench.perf_probes import SUBSETS
from bench.perf_training import training_reads
from runner.allocator import jemalloc_env, system_env
from runner.model import OmniSatConfig
from runner.train.batching import cpu_batch_size
from runner.train.device import amp_dtype

REPO = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("OMNISAT_BENCH_ROUNDS", "3"))
TILE_KM2 = 0.06 * 0.06  # a 6×6-patch tile of 10 m patches
PRETRAIN_BATCH = 8


def runner_batch(subset: str) -> int:
    """Tiles per batch the runner picks on a CPU for a `base` model of this subset (`cpu_batch_size`)."""
    mods = SUBSETS[subset]
    return cpu_batch_size(OmniSatConfig.for_size("base", {m: BANDS[m] for m in mods}, tile_patches=P,
                                                 aerial_px=K_AERIAL))


def runner_precision() -> str:
    """What `amp=auto` picks for classifying with a `base` model on this machine's CPU."""
    return "bf16" if amp_dtype(torch.device("cpu"), "auto", inference=True, width=256) else "fp32"


FORWARD_BATCH = {subset: runner_batch(subset) for subset in ("all", "s1+s2", "s2", "s1")}


def allocator_env(name: str) -> dict[str, str]:
    if name == "jemalloc":
        env = jemalloc_env()
        if env is None:
            raise RuntimeError("jemalloc is not installed (apt-get install libjemalloc2)")
        return env
    return system_env()


def probe(kind: str, params: dict[str, Any], allocator: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "bench.perf_probes", kind, json.dumps(params)], cwd=REPO,
                          env={**allocator_env(allocator), "PYTHONPATH": str(REPO)}, capture_output=True,
                          text=True, timeout=1800)
    payload = proc.stdout.rpartition("@@PROBE@@")[2]
    if proc.returncode != 0 or not payload:
        raise RuntimeError(f"probe {kind} {params} ({allocator}) failed: {proc.stderr[-2000:]}")
    return json.loads(payload)


def model_configs() -> list[tuple[str, dict[str, Any]]]:
    configs = []
    for subset, batch in FORWARD_BATCH.items():
        for precision in ("fp32", "bf16"):
            for allocator in ("system", "jemalloc"):
                configs.append((allocator, {"subset": subset, "mode": "forward", "precision": precision,
                                            "batch": batch}))
    for precision in ("fp32", "bf16"):
        for allocator in ("system", "jemalloc"):
            configs.append((allocator, {"subset": "all", "mode": "pretrain", "precision": precision,
                                        "batch": PRETRAIN_BATCH, "repeats": 2}))
    return configs


def key(allocator: str, params: dict[str, Any]) -> str:
    return f"{params['mode']}/{params['subset']}/{params['precision']}/{allocator}"


def model_figures(rounds: int) -> dict[str, Any]:
    samples: dict[str, list[dict[str, Any]]] = {}
    for r in range(rounds):
        for allocator, params in model_configs():
            res = probe("model", params, allocator)
            samples.setdefault(key(allocator, params), []).append(res)
            print(f"round {r + 1}/{rounds} {key(allocator, params)}: {res['seconds']:.3f} s, "
                  f"{res['fraction_of_peak']:.3f} of {res['matmul_peak']:.0f} GFLOP/s", flush=True)
    out: dict[str, Any] = {}
    for k, runs in samples.items():
        out[k] = {"seconds": med(runs, "seconds"), "tiles_per_s": med(runs, "tiles_per_s"),
                  "gflop": round(runs[0]["gflop"], 2), "fraction_of_peak": med(runs, "fraction_of_peak"),
                  "executed_gflop": round(runs[0]["executed_gflop"], 2),
                  "executed_fraction_of_peak": med(runs, "executed_fraction_of_peak"),
                  "matmul_peak_gflop_s": med(runs, "matmul_peak"),
                  "conv3x3_gflop_s": med(runs, "conv_peak"), "fraction_of_conv": med(runs, "fraction_of_conv_peak"),
                  "conv_share": med(runs, "conv_share"),
                  "conv_bound_fraction": (med(runs, "conv_bound_fraction") if runs[0]["conv_bound_fraction"]
                                          else None),
                  "batch": runs[0]["batch"],
                  "threads": runs[0]["threads"], "rounds": len(runs),
                  "fraction_spread": [round(min(x["fraction_of_peak"] for x in runs), 3),
                                      round(max(x["fraction_of_peak"] for x in runs), 3)]}
    return out


def med(runs: list[dict[str, Any]], field: str) -> float:
    return round(statistics.median(r[field] for r in runs), 4)


def summary(model: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets as ratios, and seconds per km² of model time (tiles without overlap)."""
    s: dict[str, Any] = {}
    precision = runner_precision()
    for subset in FORWARD_BATCH:
        for alloc in ("system", "jemalloc"):
            fp32 = model[f"forward/{subset}/fp32/{alloc}"]
            bf16 = model[f"forward/{subset}/bf16/{alloc}"]
            s[f"{subset}/{alloc}"] = {
                "fp32_fraction_of_peak": fp32["fraction_of_peak"],
                "fp32_conv_bound_fraction": fp32["conv_bound_fraction"],
                "fp32_executed_fraction_of_peak": fp32["executed_fraction_of_peak"],
                "fp32_tiles_per_s": fp32["tiles_per_s"],
                "bf16_speedup": round(fp32["seconds"] / bf16["seconds"], 3),
                "fp32_s_per_km2": round(1 / TILE_KM2 / fp32["tiles_per_s"], 2),
                "bf16_s_per_km2": round(1 / TILE_KM2 / bf16["tiles_per_s"], 2),
            }
        default = model[f"forward/{subset}/{precision}/jemalloc"]
        s[f"{subset}/runner_default"] = {"precision": precision, "batch": default["batch"],
                                         "fraction_of_peak": default["fraction_of_peak"],
                                         "tiles_per_s": default["tiles_per_s"],
                                         "s_per_km2": round(1 / TILE_KM2 / default["tiles_per_s"], 2)}
        s[f"{subset}/jemalloc_speedup_fp32"] = round(model[f"forward/{subset}/fp32/system"]["seconds"]
                                                     / model[f"forward/{subset}/fp32/jemalloc"]["seconds"], 3)
    for alloc in ("system", "jemalloc"):
        fp32, bf16 = model[f"pretrain/all/fp32/{alloc}"], model[f"pretrain/all/bf16/{alloc}"]
        s[f"pretrain/{alloc}"] = {"fp32_step_s": fp32["seconds"], "bf16_step_s": bf16["seconds"],
                                  "fp32_fraction_of_peak": fp32["fraction_of_peak"],
                                  "fp32_conv_bound_fraction": fp32["conv_bound_fraction"],
                                  "bf16_speedup": round(fp32["seconds"] / bf16["seconds"], 3)}
    return s


def compiled_figures() -> dict[str, Any]:
    """fp32 inference under `torch.compile` with weight freezing, one round per modality subset (each compiles for
    15–25 s): how much of the gap to the targets fused kernels close. Not the runner's default (see
    docs/performance.md), so one round as evidence, not a tracked figure."""
    out: dict[str, Any] = {}
    for subset, batch in FORWARD_BATCH.items():
        params = {"subset": subset, "mode": "forward", "precision": "fp32", "batch": batch, "compile": True}
        res = probe("model", params, "jemalloc")
        out[subset] = {k: round(res[k], 4) for k in ("seconds", "tiles_per_s", "fraction_of_peak", "compile_seconds",
                                                        "matmul_peak")}
        print(f"compiled {subset}: {res['fraction_of_peak']:.3f} of {res['matmul_peak']:.0f} GFLOP/s after "
              f"{res['compile_seconds']:.0f} s of compilation", flush=True)
    return out


def bf16_accuracy(seeds: tuple[int, ...] = tuple(range(6))) -> dict[str, Any]:
    """Held-out macro F1 of bf16 against fp32 (training and inference): mean paired difference over seeds and its
    standard error. Six seeds, because two 12-epoch trainings from the same seed drift apart by a few F1 points
    whatever the precision (two seeds gave −0.11 points on one machine and −1.7 on another)."""
    runs = [probe("bf16-accuracy", {"seed": seed}, "jemalloc") for seed in seeds]
    out = {"runs": runs, "seeds": list(seeds)}
    for k in ("bf16_training_minus_fp32_macro_f1", "bf16_inference_minus_fp32_macro_f1"):
        diffs = [r[k] for r in runs]
        out[k] = round(statistics.mean(diffs), 4)
        out[k + "_stderr"] = round(statistics.stdev(diffs) / len(diffs) ** 0.5, 4) if len(diffs) > 1 else None
    print("bf16 accuracy:", json.dumps({k: v for k, v in out.items() if k != "runs"}), flush=True)
    return out


def bf16_base_inference(seeds: tuple[int, ...] = (0, 1), epochs: int = 5) -> dict[str, Any]:
    """What `amp=auto` does on CPUs with native bf16: a `base` model fine-tuned in fp32 and classified in fp32 and
    in bf16. Held-out macro F1 difference, the share of patches whose class agrees and classify's wall time
    (~4 min per seed on 2 cores, most of it the fp32 fine-tuning)."""
    runs = [probe("bf16-accuracy", {"seed": seed, "epochs": epochs, "size": "base", "train_bf16": False},
                  "jemalloc") for seed in seeds]
    diffs = [r["bf16_inference_minus_fp32_macro_f1"] for r in runs]
    out = {"runs": runs, "seeds": list(seeds), "epochs": epochs,
           "bf16_inference_minus_fp32_macro_f1": round(statistics.mean(diffs), 4),
           "min_pixel_agreement": min(r["bf16_inference_pixel_agreement"] for r in runs),
           "classify_speedup": round(statistics.median(r["seconds"]["classify_fp32_fp32"]
                                                       / r["seconds"]["classify_fp32_bf16"] for r in runs), 3)}
    print("bf16 base inference:", json.dumps({k: v for k, v in out.items() if k != "runs"}), flush=True)
    return out


def machine() -> dict[str, Any]:
    """Which CPU the figures come from: fractions of the matmul peak depend on its balance of FMA units, memory
    bandwidth and bf16 support (an AVX-512 Zen 4 and a Sapphire Rapids with AMX give very different ones)."""
    info: dict[str, Any] = {"cores": os.cpu_count(), "torch": package_version("torch")}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    for line in text.splitlines():
        if line.startswith("model name") and "cpu" not in info:
            info["cpu"] = line.split(":", 1)[1].strip()
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            info["flags"] = sorted(flags & {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"})
            break
    return info


def run() -> dict[str, Any]:
    t0 = time.time()
    model = model_figures(ROUNDS)
    result: dict[str, Any] = {"machine": machine(), "rounds": ROUNDS, "model": model, "summary": summary(model)}
    print(json.dumps(result["summary"], indent=1), flush=True)
    result["compiled"] = compiled_figures()
    result["bf16_accuracy"] = bf16_accuracy()
    result["bf16_base_inference"] = bf16_base_inference()
    sizes = [float(x) for x in os.environ.get("OMNISAT_BENCH_SIZES_KM", "1,2,4").split(",")]
    mods = os.environ.get("OMNISAT_BENCH_SCALING_MODALITIES", "aerial,s1,s2").split(",")
    result["classify"] = classify_scaling(sizes, mods)
    result["training_reads"] = training_reads()
    result["seconds"] = round(time.time() - t0, 1)
    return result


if __name__ == "__main__":
    # `python -m bench.bench_perf bf16|bf16-base|model|compiled|classify|training` re-measures only that part and
    # merges it into results.json
    path = REPO / "bench" / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if sys.argv[1:] == ["bf16"]:
        results.setdefault("perf", {})["bf16_accuracy"] = bf16_accuracy()
    elif sys.argv[1:] == ["classify"]:  # only classify end to end and the scaling table
        sizes = [float(x) for x in os.environ.get("OMNISAT_BENCH_SIZES_KM", "1,2,4").split(",")]
        mods = os.environ.get("OMNISAT_BENCH_SCALING_MODALITIES", "aerial,s1,s2").split(",")
        results.setdefault("perf", {})["classify"] = {**classify_scaling(sizes, mods),
                                                      "when": time.strftime("%Y-%m-%dT%H:%M:%S")}
    elif sys.argv[1:] == ["training"]:
        results.setdefault("perf", {})["training_reads"] = {**training_reads(),
                                                            "when": time.strftime("%Y-%m-%dT%H:%M:%S")}
    elif sys.argv[1:] == ["bf16-base"]:
        results.setdefault("perf", {})["bf16_base_inference"] = bf16_base_inference()
    elif sys.argv[1:] == ["compiled"]:
        results.setdefault("perf", {})["compiled"] = compiled_figures()
    elif sys.argv[1:] == ["model"]:  # only the model matrix (fresh processes, interleaved rounds)
        model = model_figures(ROUNDS)
        results.setdefault("perf", {}).update(model=model, summary=summary(model), rounds=ROUNDS, machine=machine(),
                                              model_when=time.strftime("%Y-%m-%dT%H:%M:%S"))
    else:
        results["perf"] = {**run(), "when": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path.write_text(json.dumps(results, indent=2))
