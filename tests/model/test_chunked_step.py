"""The out-of-memory-proof training step: the same gradient from chunks, the chunk size sticking, a clear error.

Running out of GPU memory cannot happen on this CPU-only machine, so the step function raises torch's own
OutOfMemoryError above a chunk of N samples; the model, autograd and optimiser are real.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from runner.errors import ResourceError
from runner.model import OmniSatClassifier, OmniSatConfig, to_tensors
from runner.train.accumulate import ChunkedStep
from tests.model.conftest import CLASSES, make_batch

CPU = torch.device("cpu")


def memory_limited(step, limit: int, seen: list[int]):
    def wrapped(model, batch):
        n = len(next(v for v in batch.values() if isinstance(v, torch.Tensor)))
        seen.append(n)
        if n > limit:
            raise torch.cuda.OutOfMemoryError(f"CUDA out of memory (stand-in): {n} samples")
        return step(model, batch)
    return wrapped


def mse_step(model, batch):
    loss = torch.nn.functional.mse_loss(model(batch["x"]), batch["y"])
    return loss, {"mse": float(loss.detach())}


def test_chunks_give_the_full_batch_gradient() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 3)
    batch = {"x": torch.randn(7, 5), "y": torch.randn(7, 3)}

    full = ChunkedStep(CPU, None, "test")
    loss_full, logs_full = full(model, mse_step, batch, "step 1")
    grad_full = [p.grad.clone() for p in model.parameters()]

    seen: list[int] = []
    shrinks: list[tuple[int, int]] = []
    chunked = ChunkedStep(CPU, None, "test", on_shrink=lambda a, b: shrinks.append((a, b)))
    loss, logs = chunked(model, memory_limited(mse_step, 2, seen), batch, "step 1")
    assert seen == [7, 4, 2, 2, 2, 1] and shrinks == [(7, 4), (4, 2)] and chunked.chunk == 2
    torch.testing.assert_close(loss, loss_full)
    assert logs["mse"] == pytest.approx(logs_full["mse"])
    for p, g in zip(model.parameters(), grad_full, strict=True):
        torch.testing.assert_close(p.grad, g)

    seen.clear()
    chunked(model, memory_limited(mse_step, 2, seen), batch, "step 2")
    assert seen == [2, 2, 2, 1]  # the smaller chunk sticks: no failed attempt at the full batch again


def test_a_real_classifier_step_completes_after_running_out_of_memory() -> None:
    torch.manual_seed(0)
    model = OmniSatClassifier(OmniSatConfig.for_size("tiny", aerial_px=4), CLASSES).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batch = to_tensors(make_batch(np.random.default_rng(0), b=6, k=4, t=5))
    before = [p.detach().clone() for p in model.parameters()]

    def clf_step(m, b):
        return m.loss(m(b), b), {}

    step = ChunkedStep(CPU, None, "finetune")
    loss, _ = step(model, memory_limited(clf_step, 3, []), batch, "epoch 1 step 1")
    opt.step()
    assert torch.isfinite(loss) and step.chunk == 3
    assert any(not torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))


def test_one_sample_that_does_not_fit_is_a_clear_error() -> None:
    model = torch.nn.Linear(5, 3)
    batch = {"x": torch.randn(3, 5), "y": torch.randn(3, 3)}
    with pytest.raises(ResourceError, match="pretrain: out of memory on cpu with one tile per step \\(epoch 2"):
        ChunkedStep(CPU, None, "pretrain")(model, memory_limited(mse_step, 0, []), batch, "epoch 2 step 5")
