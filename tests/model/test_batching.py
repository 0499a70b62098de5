"""Batch sizing from free memory and the out-of-memory retry, with a real tiny classifier.

No GPU here: running out of device memory is the one edge we cannot reach, so a forward that raises torch's
own OutOfMemoryError above a batch of N stands in for it; everything else (model, splitting, merging) is real.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from runner.errors import InputError, ResourceError
from runner.model import OmniSatClassifier, OmniSatConfig
from runner.train.batching import (
    cpu_batch_size,
    inference_bytes_per_tile,
    is_out_of_memory,
    pick_batch_size,
    slice_batch,
)
from runner.train.device import amp_dtype, cpu_has_native_bf16
from runner.train.predict import Predictor
from tests.model.conftest import CLASSES, make_batch

MB = 2**20


def test_pick_batch_size_from_free_memory() -> None:
    assert pick_batch_size(None, 100 * MB, 10_000 * MB, device="cuda") == 60        # 60 % of free / per tile
    assert pick_batch_size(None, 1 * MB, 100_000 * MB, device="cuda") == 256        # capped
    assert pick_batch_size(None, 1 * MB, 100_000 * MB, device="cpu") == 8           # CPUs gain nothing past 8
    assert pick_batch_size(32, 100 * MB, 1_000 * MB, device="cpu") == 6             # lowered to what fits
    assert pick_batch_size(4, 1 * MB, 100_000 * MB, device="cuda") == 4             # never raised
    assert pick_batch_size(None, 1 * MB, 100_000 * MB, device="cpu", cpu_default=32) == 32
    assert pick_batch_size(None, 100 * MB, 1_000 * MB, device="cpu", cpu_default=32) == 6  # memory still rules
    assert pick_batch_size(None, 1 * MB, 100_000 * MB, device="cuda", cpu_default=32) == 256


ALL = {"aerial": 4, "s1": 2, "s2": 10}


@pytest.mark.parametrize(("modalities", "used", "tile_patches", "expected"), [
    (ALL, None, 6, 8),                  # the aerial CNN: 8 tiles already run the convolutions at full speed
    ({"s1": 2, "s2": 10}, None, 6, 16),  # 73 tokens per tile: 16 tiles = 1,168 combiner rows
    ({"s2": 10}, None, 6, 32),           # 37 tokens: 32 tiles
    (ALL, ["s2"], 6, 32),                # a tri-modal model given only S2 runs like an S2 model
    (ALL, ["s1", "s2"], 6, 16),
    ({"s2": 10}, None, 12, 8),           # 145 tokens per tile: 8 tiles are 1,160 rows already
])
def test_cpu_batch_grows_until_the_combiner_has_enough_rows(modalities, used, tile_patches, expected) -> None:
    cfg = OmniSatConfig.for_size("base", modalities, tile_patches=tile_patches)
    assert cpu_batch_size(cfg, used) == expected


def test_pick_batch_size_refuses_before_starting() -> None:
    with pytest.raises(ResourceError, match=r"one tile needs about 200 MB on cuda but only 100 MB are free"):
        pick_batch_size(None, 200 * MB, 100 * MB, device="cuda")


def test_estimate_grows_with_aerial_resolution() -> None:
    coarse = inference_bytes_per_tile(OmniSatConfig.for_size("base", aerial_px=25))
    fine = inference_bytes_per_tile(OmniSatConfig.for_size("base", aerial_px=50))
    s2 = inference_bytes_per_tile(OmniSatConfig.for_size("base", {"s2": 10}))
    assert fine > 2 * coarse and coarse > 2 * s2 > 0


def test_out_of_memory_is_recognised() -> None:
    assert is_out_of_memory(torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate "
                                         "memory: you tried to allocate 9999 bytes"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))


def test_slice_batch_cuts_every_per_tile_entry() -> None:
    batch = make_batch(np.random.default_rng(0), b=5, k=4, t=3)
    batch["tiles"] = list("abcde")
    part = slice_batch(batch, 1, 3)
    assert part["tiles"] == ["b", "c"]
    assert part["aerial"].shape[0] == part["s2"].shape[0] == part["labels"].shape[0] == 2
    np.testing.assert_array_equal(part["s1_doy"], batch["s1_doy"][1:3])


@pytest.fixture(scope="module")
def predictor_and_state() -> tuple[OmniSatConfig, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    cfg = OmniSatConfig.for_size("tiny", aerial_px=4)
    model = OmniSatClassifier(cfg, CLASSES)
    return cfg, model.state_dict()


def test_predictor_halves_the_batch_on_out_of_memory(predictor_and_state) -> None:
    cfg, state = predictor_and_state
    batch = make_batch(np.random.default_rng(1), b=7, k=4, t=5)
    reference = Predictor(cfg, state, device="cpu", batch_size=8).predict(batch)

    pred = Predictor(cfg, state, device="cpu", batch_size=8)
    real_forward, seen = pred._forward, []

    def forward_with_small_memory(t, modalities=None):
        n = t["aerial"].shape[0]
        seen.append(n)
        if n > 2:
            raise torch.cuda.OutOfMemoryError(f"CUDA out of memory (stand-in): {n} tiles")
        return real_forward(t, modalities)

    pred._forward = forward_with_small_memory
    probs = pred.predict(batch)
    assert seen == [7, 4, 2, 2, 2, 1]          # 7 fails, 4 fails, then chunks of 2 and the last tile
    assert pred.batch_size == 2 and pred.batches.shrinks == 2
    np.testing.assert_allclose(probs, reference, atol=1e-5)        # every tile, once, in order
    assert probs.shape == (7, cfg.tile_patches, cfg.tile_patches, CLASSES)


def test_predictor_gives_up_clearly_when_one_tile_does_not_fit(predictor_and_state) -> None:
    cfg, state = predictor_and_state
    pred = Predictor(cfg, state, device="cpu", batch_size=4)

    def never_fits(t, modalities=None):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory (stand-in)")

    pred._forward = never_fits
    with pytest.raises(ResourceError, match="out of memory on cpu with a batch of one tile"):
        pred.predict(make_batch(np.random.default_rng(2), b=3, k=4, t=5))


def test_predictor_bf16_autocast_agrees_with_fp32(predictor_and_state) -> None:
    cfg, state = predictor_and_state
    batch = make_batch(np.random.default_rng(3), b=4, k=4, t=5)
    fp32 = Predictor(cfg, state, device="cpu", amp="off").predict(batch)
    bf16 = Predictor(cfg, state, device="cpu", amp="bf16").predict(batch)
    assert bf16.dtype == np.float32
    assert np.abs(bf16 - fp32).max() < 0.05
    assert (bf16.argmax(-1) == fp32.argmax(-1)).mean() > 0.95


@pytest.mark.parametrize(("device", "inference", "width", "native", "expected"), [
    ("cuda", False, 64, False, torch.bfloat16),   # GPUs: always bf16 under auto
    ("cpu", True, 256, True, torch.bfloat16),     # base-width inference on AMX / AVX512-BF16
    ("cpu", True, 256, False, None),              # emulated bf16 is slower than fp32
    ("cpu", True, 64, True, None),                # tiny: bf16 measured slower on AMX
    ("cpu", False, 256, True, None),              # training stays fp32 on CPUs
])
def test_auto_precision_picks_bf16_only_where_it_is_faster(device, inference, width, native, expected) -> None:
    dtype = amp_dtype(torch.device(device), "auto", inference=inference, width=width, native_bf16=native)
    assert dtype == expected


def test_explicit_precision_overrides_auto_and_bad_values_are_named() -> None:
    cpu = torch.device("cpu")
    assert amp_dtype(cpu, "bf16", native_bf16=False) == torch.bfloat16
    assert amp_dtype(cpu, "off", inference=True, width=1024, native_bf16=True) is None
    with pytest.raises(InputError, match="amp 'fp16'"):
        amp_dtype(cpu, "fp16")


def test_predictor_sizes_its_cpu_batch_for_the_modalities_it_will_get(predictor_and_state) -> None:
    cfg, state = predictor_and_state
    assert Predictor(cfg, state, device="cpu").batch_size == 8
    s2_only = Predictor(cfg, state, device="cpu", modalities=["s2"])
    assert s2_only.batch_size == 32
    assert Predictor(cfg, state, device="cpu", batch_size=12, modalities=["s2"]).batch_size == 12  # the user's size
    batch = make_batch(np.random.default_rng(4), b=3, k=4, t=5, modalities=("s2",))
    assert s2_only.predict(batch, modalities=["s2"]).shape == (3, cfg.tile_patches, cfg.tile_patches, CLASSES)


def test_predictor_auto_precision_follows_model_width_and_this_cpu() -> None:
    """The real Predictor on this machine: a base-width model runs in bf16 exactly when the CPU has native bf16,
    a tiny one never does (and an explicit `off` always wins)."""
    tiny = OmniSatConfig.for_size("tiny", aerial_px=4)
    base = OmniSatConfig.for_size("base", aerial_px=4)
    assert Predictor(tiny, OmniSatClassifier(tiny, CLASSES).state_dict(), device="cpu").dtype is None
    base_state = OmniSatClassifier(base, CLASSES).state_dict()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():  # torch's detection agrees with the kernel's flags
        assert cpu_has_native_bf16() == bool(set(cpuinfo.read_text().split()) & {"amx_tile", "avx512_bf16"})
    expected = torch.bfloat16 if cpu_has_native_bf16() else None
    assert Predictor(base, base_state, device="cpu").dtype == expected
    assert Predictor(base, base_state, device="cpu", amp="off").dtype is None
