"""`make gpu-check DEVICE=cpu`: the GPU check's own code runs on the CPU in every `make test`, so it cannot rot
between GPU runs; and what it needs beyond PyTorch stays within the offline wheel list (tools/gpu_wheels.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ["forward: device vs cpu", "masks and padding", "backward: classifier", "pretraining losses",
            "fine-tuning run, checkpoint resume, model store", "checkpoint of device state", "predictor",
            "batch size from free memory", "out-of-memory halving: inference", "out-of-memory halving: training step",
            "speed: matmul peak", "speed: inference", "speed: pretraining step", "speed: torch.compile",
            "classify end to end", "torchrun, one process"]


def test_make_gpu_check_on_the_cpu_passes_every_section(tmp_path: Path) -> None:
    out = tmp_path / "report"
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "DEVICE")}
    proc = subprocess.run(["make", "-s", "gpu-check", "DEVICE=cpu", f"GPU_PYTHON={sys.executable}",
                           f"GPU_WHEELS={tmp_path / 'no-wheels'}", f"GPU_CHECK_ARGS=--out {out}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)  # nosec B603 B607
    assert (out / "report.json").is_file(), proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    failed = [(s["name"], c["name"], c["measured"], c["note"]) for s in report["sections"] for c in s["checks"]
              if c["status"] == "fail"]
    assert not failed, failed
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert report["passed"] and report["device"] == "cpu"
    assert [s["name"] for s in report["sections"]] == SECTIONS
    # every section ran something, except torch.compile, which a CPU run skips and says so
    status = {s["name"]: s["status"] for s in report["sections"]}
    assert status.pop("speed: torch.compile") == "N/A"
    assert set(status.values()) == {"PASS"}, status
    # what cannot happen on a CPU is reported as not applicable, with a reason, never as passed
    na = {c["name"] for s in report["sections"] for c in s["checks"] if c["status"] == "not applicable"}
    assert {"batch from free GPU memory (mem_get_info)", "real out-of-memory on the device",
            "real out-of-memory in a training step", "GPU utilisation"} <= na
    assert all(c["note"] for s in report["sections"] for c in s["checks"] if c["status"] == "not applicable")
    checks = {c["name"]: c for s in report["sections"] for c in s["checks"]}
    # on a CPU the same computation twice must agree exactly, and bf16 must really differ from fp32
    assert checks["classifier loss and gradients fp32: second run on cpu vs cpu fp32"]["measured"][
        "grad_rel_error"] == 0.0
    bf16 = checks["forward bf16 autocast: prepared model on cpu vs reference on cpu fp32"]["measured"]
    assert bf16["out_dtype"] == "torch.bfloat16" and bf16["patch_logits"] > 0
    # the halving really happened, and the map came from the runner's CLI with the stage split
    assert checks["inference out of memory halves the batch and finishes (simulated: CPU allocator error above 2 "
                  "tiles)"]["measured"]["halvings"] >= 1
    shares = checks["share of the job's time"]["measured"]
    assert 0.99 <= shares["read"] + shares["model"] + shares["write"] + shares["other"] <= 1.01
    summary = (out / "summary.txt").read_text()
    assert summary.startswith("OmniSat GPU check on cpu: PASSED") and "n/a" in summary


def test_classifying_needs_nothing_outside_the_offline_wheel_list(tmp_path: Path) -> None:
    """The runner's classify path and a label-free synthetic scene import no pyogrio, fastapi, uvicorn or sklearn,
    which tools/gpu_wheels.py leaves out to stay under 60 MB."""
    from tools.gpu_wheels import REQUIREMENTS

    names = {r.split(">")[0].split("<")[0].split("=")[0] for r in REQUIREMENTS}
    assert not names & {"pyogrio", "fastapi", "uvicorn", "scikit-learn", "torch"}
    code = (
        "import sys\n"
        "for m in ('pyogrio', 'fastapi', 'uvicorn', 'sklearn'): sys.modules[m] = None\n"
        "import runner.cli, runner.ops.classify, runner.geo, runner.model_store\n"
        "from runner.geo.scene import make_scene\n"
        f"files = make_scene({str(tmp_path / 'scene')!r}, size_km=0.1, aerial_res=2.0, labels=False)\n"
        "assert 'labels' not in files, files\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # nosec B603
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not (tmp_path / "scene" / "labels.gpkg").exists() and (tmp_path / "scene" / "aerial.tif").is_file()


def test_the_cuda_sizes_build_their_batches_and_models() -> None:
    """What only a GPU run reaches but plain Python decides: the CUDA sizes' batches (up to the OOM probe's 32
    tiles of 50 dates) and the `base` configuration they feed."""
    import numpy as np

    from bench.gpu_check.common import CUDA_SIZES, config, synthetic_batch

    cfg = config(CUDA_SIZES, no_dropout=True)
    assert cfg.size == "base" and cfg.dropout == 0.0 and cfg.tile_patches == CUDA_SIZES.tile_patches
    b = synthetic_batch(CUDA_SIZES, CUDA_SIZES.oom_batch, seed=1, padded=3)
    side = CUDA_SIZES.tile_patches * CUDA_SIZES.aerial_px
    assert b["aerial"].shape == (CUDA_SIZES.oom_batch, 4, side, side)
    doy = b["s2_doy"]
    assert doy.shape == (CUDA_SIZES.oom_batch, CUDA_SIZES.dates) and (doy[:, -3:] == 0).all()
    assert (np.diff(doy[:, :-3], axis=1) > 0).all()  # distinct, sorted dates per tile
    assert not b["s2_mask"][0, :, 0, 0].any() and np.isnan(b["s1"][:, -3:]).all()
