"""Speed on the device, each figure beside the matmul peak measured in the same process.

Inference goes through the runner's Predictor at the batch size it chooses itself (free memory on CUDA), so the
time includes what a job pays per batch: pinning and copying the inputs, the model, the softmax and the copy back.
Pretraining steps are OmniSatPretrainer + AdamW under the runner's autocast (bf16 on CUDA), at batch 8 and at
the largest batch that fits (found by doubling until a real out-of-memory error).
"""

from __future__ import annotations

import shutil
import time
from typing import Any

import torch

from bench.gpu_check.common import CLASSES, Sizes, config, matmul_tflops, median_seconds, rel_error, synthetic_batch
from bench.gpu_check.report import Section


def model_flops_per_tile(cfg: Any, sizes: Sizes) -> int:
    """FLOPs of one tile's forward (torch's FLOP counter, on the CPU: the count does not depend on the device)."""
    from torch.utils.flop_counter import FlopCounterMode

    from runner.model import OmniSatClassifier, to_tensors

    model = OmniSatClassifier(cfg, CLASSES).eval()
    one = to_tensors(synthetic_batch(sizes, 1, seed=0))
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(one)
    return int(counter.get_total_flops())


def matmul(device: torch.device, sizes: Sizes, sec: Section) -> dict[str, float]:
    peaks = {}
    for name, dtype in (("bf16", torch.bfloat16), ("fp32", torch.float32)):
        peaks[name] = matmul_tflops(device, dtype, sizes.matmul_n)
    tf32 = torch.backends.cuda.matmul.allow_tf32 if device.type == "cuda" else None
    sec.check(f"matmul {sizes.matmul_n}² peak", all(v > 0 for v in peaks.values()), "measured",
              bf16_tflops=peaks["bf16"], fp32_tflops=peaks["fp32"], fp32_matmul_uses_tf32=tf32)
    sec.info["matmul_tflops"] = peaks
    return peaks


def inference(device: torch.device, sizes: Sizes, sec: Section, peaks: dict[str, float]) -> None:
    from runner.model import OmniSatClassifier
    from runner.train import Predictor

    cfg = config(sizes)
    torch.manual_seed(0)
    state = OmniSatClassifier(cfg, CLASSES).state_dict()
    flops = model_flops_per_tile(cfg, sizes)
    sec.info["gflop_per_tile"] = flops / 1e9
    for amp in ("off", "bf16"):
        p = Predictor(cfg, state, device=device.type, amp=amp)
        batch = synthetic_batch(sizes, p.batch_size, seed=11)
        out: dict[str, Any] = {}

        def run(p: Predictor = p, batch: dict[str, Any] = batch, out: dict[str, Any] = out) -> None:
            out["probs"] = p.predict(batch)
        seconds = median_seconds(run, device, sizes.repeats, warmup=1)
        precision = "bf16" if p.dtype is not None else "fp32"
        tiles_s = p.batch_size / seconds
        tflops = flops * tiles_s / 1e12
        finite = bool(torch.isfinite(torch.from_numpy(out["probs"])).all())
        sec.check(f"tri-modal {cfg.size} inference {precision}, runner's batch of {p.batch_size}", finite,
                  "finite outputs (speed is reported, not bounded)", tiles_per_s=tiles_s,
                  ms_per_tile=1000 * seconds / p.batch_size, model_tflops=tflops,
                  fraction_of_matmul_peak=tflops / peaks[precision], batch=p.batch_size)


def _pretrain_seconds(device: torch.device, sizes: Sizes, batch: int, repeats: int) -> float:
    from runner.model import OmniSatPretrainer, to_tensors
    from runner.train.device import amp_dtype, autocast

    cfg = config(sizes)
    torch.manual_seed(0)
    model = OmniSatPretrainer(cfg).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    dtype = amp_dtype(device, "auto")
    data = to_tensors(synthetic_batch(sizes, batch, seed=12), device)

    def step() -> None:
        with autocast(device, dtype):
            loss = model(data)["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return median_seconds(step, device, repeats, warmup=1)


def pretraining(device: torch.device, sizes: Sizes, sec: Section) -> None:
    from runner.train.batching import is_out_of_memory
    from runner.train.device import amp_dtype

    precision = "bf16" if amp_dtype(device, "auto") is not None else "fp32"
    s8 = _pretrain_seconds(device, sizes, 8, sizes.repeats)
    sec.check(f"pretraining step ({sizes.model}, tri-modal, {precision}) at batch 8", s8 > 0, "measured",
              seconds=s8, tiles_per_s=8 / s8)
    if device.type != "cuda":
        sec.not_applicable("pretraining step at the largest batch that fits", "searched on CUDA only (on a CPU the "
                           "limit is RAM and a step of hundreds of tiles takes minutes)")
        return
    largest, tried, b = 8, [], 16
    while b <= sizes.max_search_batch:
        fits, reason = True, ""
        try:
            _pretrain_seconds(device, sizes, b, 1)
        except Exception as err:  # noqa: BLE001 - out-of-memory ends the search, anything else is re-raised
            # cuDNN / cuBLAS report a failed allocation in their own words; the runner's halving would not catch
            # those (is_out_of_memory), so the report says which one ended the search
            if not (is_out_of_memory(err) or "ALLOC_FAILED" in str(err)):
                raise
            fits, reason = False, "out of memory" if is_out_of_memory(err) else str(err)[:200]
        torch.cuda.empty_cache()  # after the except block: its traceback no longer holds the step's tensors
        tried.append((b, "fits" if fits else reason))
        if not fits:
            break
        largest, b = b, b * 2
    s = _pretrain_seconds(device, sizes, largest, 2)
    sec.check(f"pretraining step at the largest batch that fits ({largest})", s > 0, "measured (doubling from 16 "
              f"up to {sizes.max_search_batch} until out of memory)", batch=largest, seconds=s,
              tiles_per_s=largest / s, tried=tried)


def compiled(device: torch.device, sizes: Sizes, sec: Section, allow_cpu: bool) -> None:
    from runner.model import OmniSatClassifier
    from runner.train import Predictor

    if device.type == "cpu" and not allow_cpu:
        sec.not_applicable("torch.compile on vs off", "skipped on a CPU by default: Inductor needs a C++ compiler "
                           "and compiles for minutes; run with --compile to include it")
        return
    if not (shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")):
        sec.not_applicable("torch.compile on vs off", "no C compiler on this machine: Inductor (and Triton's "
                           "launcher) needs one; install gcc to include it")
        return
    cfg = config(sizes)
    torch.manual_seed(0)
    state = OmniSatClassifier(cfg, CLASSES).state_dict()
    eager = Predictor(cfg, state, device=device.type)
    batch = synthetic_batch(sizes, eager.batch_size, seed=13)
    ref = eager.predict(batch)
    t_eager = median_seconds(lambda: eager.predict(batch), device, sizes.repeats)
    comp = Predictor(cfg, state, device=device.type, compile=True, batch_size=eager.batch_size)
    t0 = time.perf_counter()
    probs = comp.predict(batch)
    first = time.perf_counter() - t0
    t_comp = median_seconds(lambda: comp.predict(batch), device, sizes.repeats)
    err = rel_error(torch.from_numpy(probs), torch.from_numpy(ref))
    bound = 5e-2
    sec.check(f"torch.compile inference (batch {eager.batch_size}) vs eager", err <= bound,
              f"probabilities relative L2 error <= {bound:g}", rel_error=err, first_call_s=first,
              eager_ms_per_tile=1000 * t_eager / eager.batch_size,
              compiled_ms_per_tile=1000 * t_comp / eager.batch_size, speedup=t_eager / t_comp)


def run_speed(report: Any, device: torch.device, sizes: Sizes, compile_on_cpu: bool = False) -> None:
    peaks: dict[str, float] = {}

    def mm(sec: Section) -> None:
        peaks.update(matmul(device, sizes, sec))
    report.run("speed: matmul peak", mm)
    report.run("speed: inference", lambda sec: inference(device, sizes, sec, peaks or matmul(device, sizes, sec)))
    report.run("speed: pretraining step", lambda sec: pretraining(device, sizes, sec))
    report.run("speed: torch.compile", lambda sec: compiled(device, sizes, sec, compile_on_cpu))
