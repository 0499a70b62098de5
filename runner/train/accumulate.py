"""A training step that survives running out of device memory: split the batch, accumulate the gradients.

Why: a batch size that fits at epoch 1 can fail at epoch 7 (a different tile mix, fragmentation, another
program on the GPU). Instead of losing the run, the step is redone in chunks of half the size, each chunk's loss
weighted by its share of the batch, so the optimiser sees the gradient of the same batch mean. The smaller chunk
size then sticks for the rest of the run. Exact for per-sample losses; for the contrastive loss (negatives come
from the rest of the batch) and BatchNorm statistics a chunk sees fewer samples, as with any smaller batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from runner.errors import ResourceError
from runner.model.tensors import batch_size_of
from runner.train.batching import halve_after_oom, is_out_of_memory, slice_batch
from runner.train.device import autocast

StepFn = Callable[[torch.nn.Module, dict[str, torch.Tensor]], tuple[torch.Tensor, dict[str, float]]]


class ChunkedStep:
    """Forward and backward of one batch, in chunks of at most `chunk` samples once memory ran out."""

    def __init__(self, device: torch.device, dtype: torch.dtype | None, stage: str,
                 on_shrink: Callable[[int, int], None] | None = None, can_shrink: bool = True) -> None:
        self.device, self.dtype, self.stage = device, dtype, stage
        self.chunk: int | None = None  # None: the whole batch at once
        self.on_shrink = on_shrink
        # Under DDP every rank must make the same backward passes: no shrinking, a clear error instead.
        self.can_shrink = can_shrink

    def __call__(self, model: torch.nn.Module, step_fn: StepFn, batch: dict[str, Any],
                 where: str) -> tuple[torch.Tensor, dict[str, float]]:
        """Gradients accumulated in the model's .grad (zeroed here first); returns the batch loss and logs."""
        n = batch_size_of(batch)
        while True:
            size = min(self.chunk or n, n)
            model.zero_grad(set_to_none=True)
            try:
                return self._run(model, step_fn, batch, n, size, where)
            except Exception as err:  # noqa: BLE001 - only out-of-memory is handled, the rest re-raised
                model.zero_grad(set_to_none=True)
                if not self.can_shrink and is_out_of_memory(err):
                    raise ResourceError(f"{self.stage}: out of memory on {self.device} with {n} tiles per step "
                                        "on each rank; lower --batch-size") from err
                self.chunk = halve_after_oom(err, size, self.device, f"{self.stage}: out of memory on {self.device} "
                                             f"with one tile per step ({where}); use a smaller tile or aerial "
                                             "resolution")
                if self.on_shrink is not None:
                    self.on_shrink(size, self.chunk)

    def _run(self, model: torch.nn.Module, step_fn: StepFn, batch: dict[str, Any], n: int, size: int,
             where: str) -> tuple[torch.Tensor, dict[str, float]]:
        total = torch.zeros((), device=self.device)
        logs_sum: dict[str, float] = {}
        for start in range(0, n, size):
            stop = min(n, start + size)
            part = batch if (start, stop) == (0, n) else slice_batch(batch, start, stop)
            share = (stop - start) / n
            with autocast(self.device, self.dtype):
                loss, logs = step_fn(model, part)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"{self.stage}: loss became {float(loss)} at {where}; lower the learning "
                                         "rate")
            (loss * share).backward()
            total = total + loss.detach() * share
            for k, v in logs.items():
                logs_sum[k] = logs_sum.get(k, 0.0) + v * share
        return total, logs_sum
