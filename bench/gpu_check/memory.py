"""Batch size from free memory, and the out-of-memory halving provoked for real, for inference and training.

On CUDA the process's share of the GPU is capped (`torch.cuda.set_per_process_memory_fraction`) to room for a few
tiles above what is already allocated, then the runner's own Predictor and ChunkedStep are asked for many more:
the caching allocator raises a real `torch.cuda.OutOfMemoryError`, and the job must finish with a halved batch and
the same answers. The CPU allocator has no per-process cap to provoke it with, so on a CPU the same code paths run
with an out-of-memory error raised for chunks above a size (said so in the report).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from bench.gpu_check.common import CLASSES, Sizes, clone_to, config, grad_error, grads, rel_error, synthetic_batch
from bench.gpu_check.report import Section

ROOM_TILES = 6           # the capped memory leaves room for about this many tiles above the weights
SHRUNK_PREDICT_BOUND = 2e-2  # bf16 results of different batch sizes (other kernels) against each other
CHUNKED_GRAD_BOUND = {"fp32": 1e-4, "bf16": 5e-2}  # accumulated chunk gradients vs the whole batch, relative


@contextlib.contextmanager
def capped_cuda_memory(device: torch.device, room_bytes: int) -> Iterator[dict[str, Any]]:
    """Cap this process's CUDA memory to what is reserved now plus `room_bytes`; restored afterwards."""
    torch.cuda.empty_cache()
    total = torch.cuda.get_device_properties(device).total_memory
    limit = torch.cuda.memory_reserved(device) + room_bytes
    fraction = min(1.0, limit / total)
    torch.cuda.set_per_process_memory_fraction(fraction, device)
    try:
        yield {"fraction": fraction, "limit_mb": limit / 2**20, "total_mb": total / 2**20}
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0, device)
        torch.cuda.empty_cache()


def room_for(device: torch.device, run: Any, tiles: int) -> tuple[int, float]:
    """(bytes, per-tile bytes): memory for about `tiles` tiles of `run(n)`, from its peaks at 2 and 4 tiles, so
    what does not grow with the batch (cuDNN workspaces, gradients of the weights) is counted once."""
    two, four = peak_bytes(device, lambda: run(2)), peak_bytes(device, lambda: run(4))
    per_tile = max((four - two) / 2, 1.0)
    return int(two + per_tile * (tiles - 2)), per_tile


def peak_bytes(device: torch.device, fn: Any) -> int:
    """Peak CUDA memory `fn` allocates above what was allocated before it."""
    torch.cuda.synchronize(device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    fn()
    torch.cuda.synchronize(device)
    return int(torch.cuda.max_memory_allocated(device) - before)


class _OOMAbove:
    """CPU only: raise the error the CPU allocator raises (`can't allocate memory`) for chunks above `limit`."""

    def __init__(self, fn: Any, limit: int) -> None:
        self.fn, self.limit, self.raised = fn, limit, 0

    def __call__(self, batch: dict[str, Any], *args: Any) -> Any:
        from runner.model.tensors import batch_size_of

        if batch_size_of(batch) > self.limit:
            self.raised += 1
            raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate (provoked by the "
                               "GPU check)")
        return self.fn(batch, *args)


def batch_sizing(device: torch.device, sizes: Sizes, sec: Section) -> None:
    from runner.train import Predictor
    from runner.train.batching import (
        CPU_BATCH,
        MAX_AUTO_BATCH,
        MEMORY_FRACTION,
        cpu_batch_size,
        free_memory,
        inference_bytes_per_tile,
    )

    cfg = config(sizes)
    from runner.model import OmniSatClassifier

    torch.manual_seed(0)
    state = OmniSatClassifier(cfg, CLASSES).state_dict()
    per_tile = inference_bytes_per_tile(cfg, sizes.dates)
    free = free_memory(device)
    p = Predictor(cfg, state, device=device.type)
    sec.info.update(per_tile_estimate_mb=per_tile / 2**20, free_mb=free / 2**20, batch_size=p.batch_size)
    if device.type != "cuda":
        sec.not_applicable("batch from free GPU memory (mem_get_info)", "no GPU: on a CPU the runner uses "
                           f"cpu_batch_size ({CPU_BATCH} tiles with the aerial image) when it fits in RAM",
                           available_ram_mb=free / 2**20)
        sec.check("CPU batch size is the runner's CPU default", p.batch_size == cpu_batch_size(cfg),
                  "== cpu_batch_size(cfg)", batch_size=p.batch_size, expected=cpu_batch_size(cfg))
        return
    fits = int(free * MEMORY_FRACTION // per_tile)
    ok = p.batch_size == max(1, min(MAX_AUTO_BATCH, fits)) or abs(p.batch_size - min(MAX_AUTO_BATCH, fits)) <= 2
    sec.check("batch from free GPU memory (mem_get_info)", ok and p.batch_size >= 1,
              f"min({MAX_AUTO_BATCH}, {MEMORY_FRACTION} × free / estimate per tile)", batch_size=p.batch_size,
              free_mb=free / 2**20, estimate_per_tile_mb=per_tile / 2**20, fits=fits)
    n = min(p.batch_size, 16)
    batch = synthetic_batch(sizes, n, seed=5)
    measured = peak_bytes(device, lambda: p.predict(batch)) / n
    sec.check("the per-tile estimate is an upper bound of what inference allocates", measured <= per_tile,
              "measured peak per tile <= estimate", measured_per_tile_mb=measured / 2**20,
              estimate_per_tile_mb=per_tile / 2**20, ratio=measured / per_tile, tiles=n,
              precision="bf16" if p.dtype is not None else "fp32")
    sec.info["measured_inference_mb_per_tile"] = measured / 2**20


def inference_oom(device: torch.device, sizes: Sizes, sec: Section) -> None:
    from runner.model import OmniSatClassifier
    from runner.train import Predictor

    cfg = config(sizes)
    torch.manual_seed(0)
    state = OmniSatClassifier(cfg, CLASSES).state_dict()
    want = sizes.oom_batch
    batch = synthetic_batch(sizes, want, seed=6)
    reference = Predictor(cfg, state, device=device.type, batch_size=want).predict(batch)
    p = Predictor(cfg, state, device=device.type, batch_size=want)
    cap: dict[str, Any] = {}
    if device.type == "cuda":
        room, per_tile = room_for(device, lambda n: p.predict(synthetic_batch(sizes, n, seed=7)), ROOM_TILES)
        with capped_cuda_memory(device, room) as cap:
            cap["measured_mb_per_tile"] = per_tile / 2**20
            probs = p.predict(batch)
        how = f"real: memory capped to {cap['fraction']:.3f} of the GPU"
    else:
        sec.not_applicable("real out-of-memory on the device", "the CPU allocator has no per-process cap; the "
                           "halving runs below with the CPU allocator's error raised above 2 tiles")
        # the Predictor's own AdaptiveBatches does the halving; only the error is provoked differently
        p._predict = _OOMAbove(p._predict, 2)  # type: ignore[method-assign]
        probs = p.predict(batch)
        how = "simulated: CPU allocator error above 2 tiles"
    err = rel_error(torch.from_numpy(probs), torch.from_numpy(reference))
    ok = p.batches.shrinks >= 1 and p.batch_size < want and probs.shape == reference.shape
    sec.check(f"inference out of memory halves the batch and finishes ({how})", ok and err <= SHRUNK_PREDICT_BOUND,
              f"batch halved at least once, all {want} tiles, probabilities within {SHRUNK_PREDICT_BOUND:g} of "
              "the unshrunk run", asked=want, batch_after=p.batch_size, halvings=p.batches.shrinks,
              rel_error=err, tiles_out=int(probs.shape[0]), **cap)


def training_oom(device: torch.device, sizes: Sizes, sec: Section) -> None:
    """ChunkedStep (runner/train/accumulate.py): a fine-tuning step out of memory is redone in accumulated
    chunks; the gradient is that of the same batch. Exact for per-sample losses, so BatchNorm runs on its running
    statistics here (in training its batch statistics would differ per chunk, as with any smaller batch) and every
    patch is labelled (the cross-entropy's mean is over labelled patches)."""
    from runner.model import OmniSatClassifier, to_tensors
    from runner.train.accumulate import ChunkedStep
    from runner.train.device import amp_dtype

    cfg = config(sizes, no_dropout=True)
    torch.manual_seed(0)
    base = OmniSatClassifier(cfg, CLASSES)
    dtype = amp_dtype(device, "auto")
    want = max(4, sizes.oom_batch // 2)
    data = to_tensors(synthetic_batch(sizes, want, seed=8, padded=2, pad_value=0.0, unlabelled=0.0), device)
    precision = "bf16" if dtype is not None else "fp32"
    bound = CHUNKED_GRAD_BOUND[precision]

    def step_fn(m: torch.nn.Module, b: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        return m.loss(m(b), b), {}

    full_model = _frozen_batchnorm(clone_to(base, device).train())
    full_loss, _ = ChunkedStep(device, dtype, "finetune")(full_model, step_fn, data, "full")
    ref = grads(full_model)
    del full_model
    model = _frozen_batchnorm(clone_to(base, device).train())
    shrinks: list[tuple[int, int]] = []
    step = ChunkedStep(device, dtype, "finetune", on_shrink=lambda old, new: shrinks.append((old, new)))
    cap: dict[str, Any] = {}
    if device.type == "cuda":
        def probe(n: int) -> None:
            small = to_tensors(synthetic_batch(sizes, n, seed=9), device)
            ChunkedStep(device, dtype, "probe")(model, step_fn, small, "probe")
            model.zero_grad(set_to_none=True)
        room, per_tile = room_for(device, probe, ROOM_TILES)
        with capped_cuda_memory(device, room) as cap:
            cap["measured_mb_per_tile"] = per_tile / 2**20
            loss, _ = step(model, step_fn, data, "capped")
        how = f"real: memory capped to {cap['fraction']:.3f} of the GPU"
    else:
        sec.not_applicable("real out-of-memory in a training step", "the CPU allocator has no per-process cap; "
                           "the chunking runs below with the CPU allocator's error raised above 2 tiles")
        limited = _OOMAbove(lambda b, m: step_fn(m, b), 2)
        loss, _ = step(model, lambda m, b: limited(b, m), data, "simulated")
        how = "simulated: CPU allocator error above 2 tiles"
    g_err, cos = grad_error(grads(model), ref)
    loss_err = abs(float(loss) - float(full_loss)) / max(abs(float(full_loss)), 1e-6)
    sec.check(f"training step out of memory continues in accumulated chunks ({how})",
              bool(shrinks) and step.chunk is not None and step.chunk < want and g_err <= bound
              and bool(np.isfinite(float(loss))),
              f"chunked at least once, gradient relative error vs the whole batch <= {bound:g} ({precision})",
              tiles=want,
              chunk_after=step.chunk, shrinks=shrinks, grad_cosine=cos, grad_rel_error=g_err, loss_rel_error=loss_err,
              **cap)


def _frozen_batchnorm(model: torch.nn.Module) -> torch.nn.Module:
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.eval()
    return model


def run_memory(report: Any, device: torch.device, sizes: Sizes) -> None:
    report.run("batch size from free memory", lambda sec: batch_sizing(device, sizes, sec))
    report.run("out-of-memory halving: inference", lambda sec: inference_oom(device, sizes, sec))
    report.run("out-of-memory halving: training step", lambda sec: training_oom(device, sizes, sec))
