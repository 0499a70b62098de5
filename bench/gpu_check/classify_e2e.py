"""`python -m runner classify --device <device>` end to end on a synthetic scene, as a user starts it, with where
the job's time went (the runner's own StageTimer: reading not hidden by the prefetching reader, model, writing)
and, on CUDA, the GPU's utilisation sampled while the tile loop runs.

The model is a classifier with random weights and a card made from the scene (bands, grid, norm): speed does not
depend on the weights, and pretraining one would spend the check's minutes on something the training sections
already cover.
"""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404 - our own CLI and nvidia-smi, fixed arguments
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from bench.gpu_check.common import Sizes
from bench.gpu_check.report import Section

REPO = Path(__file__).resolve().parents[2]
CLASS_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"]


def make_inputs(root: Path, sizes: Sizes) -> tuple[Path, str]:
    """The synthetic scene (no label polygons: classify needs none) and a model saved in `root/home`."""
    import torch

    from runner import model_store as store
    from runner.geo import expand_series, open_scene
    from runner.geo.scene import make_scene
    from runner.model import OmniSatClassifier
    from runner.ops.common import base_card
    from runner.ops.model_glue import config_for_scene

    scene = root / "scene"
    make_scene(scene, size_km=sizes.scene_km, seed=0, aerial_res=sizes.scene_aerial_res, labels=False)
    sc = open_scene(str(scene / "aerial.tif"), expand_series([str(scene / "s1")], "s1"),
                    expand_series([str(scene / "s2")], "s2"), aerial_px=sizes.aerial_px)
    sc.norm = sc.compute_norm(max_tiles=8)
    cfg = config_for_scene(sizes.model, sc)
    torch.manual_seed(0)
    classes = [{"value": i + 1, "name": f"class {i + 1}", "color": c} for i, c in enumerate(CLASS_COLOURS)]
    state = OmniSatClassifier(cfg, len(classes)).state_dict()
    card = base_card(SimpleNamespace(max_dates=50), sc, name="gpu-check", kind="classifier", size=sizes.model,
                     cfg=cfg, base_model=None)
    card["classes"] = classes
    store.save_model(root / "home", "gpu-check", state, card, overwrite=True)
    return scene, "gpu-check"


def _nvidia_smi(index: int) -> float:
    """GPU `index`'s utilisation in percent over nvidia-smi's last sample period."""
    out = subprocess.run(["nvidia-smi", f"--id={index}", "--query-gpu=utilization.gpu",  # nosec B603 B607
                          "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=10)
    return float(out.stdout.strip().splitlines()[0])


class UtilisationSampler:
    """GPU utilisation every 0.1 s in a thread: `torch.cuda.utilization` (pynvml), else nvidia-smi, else none."""

    def __init__(self, index: int = 0) -> None:
        self.index, self.samples, self.source = index, [], "unavailable"
        self._stop = threading.Event()
        self._read = self._choose()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _choose(self):
        import torch

        try:
            torch.cuda.utilization(self.index)
            self.source = "torch.cuda.utilization (pynvml)"
            return lambda: float(torch.cuda.utilization(self.index))
        except Exception:  # noqa: BLE001 # nosec B110 - no pynvml / amdsmi: try nvidia-smi next
            pass
        try:
            _nvidia_smi(self.index)
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            return None
        self.source = "nvidia-smi"
        return lambda: _nvidia_smi(self.index)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), self._read()))
            except Exception:  # noqa: BLE001 - a failed sample is skipped
                pass
            self._stop.wait(0.1)

    def __enter__(self) -> UtilisationSampler:
        if self._read is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)

    def between(self, t0: float | None, t1: float | None) -> dict[str, Any]:
        vals = [u for t, u in self.samples if (t0 is None or t >= t0) and (t1 is None or t <= t1)]
        if not vals:
            return {"source": self.source, "samples": 0}
        return {"source": self.source, "samples": len(vals), "mean_percent": float(np.mean(vals)),
                "max_percent": float(np.max(vals))}


def classify(device: str, root: Path, scene: Path, model: str) -> dict[str, Any]:
    out = root / "map.tif"
    cmd = [sys.executable, "-m", "runner", "classify", "--home", str(root / "home"), "--model", model,
           "--device", device, "--out", str(out), "--aerial", str(scene / "aerial.tif"), "--s1", str(scene / "s1"),
           "--s2", str(scene / "s2")]
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    marks: dict[str, float] = {}
    lines: list[str] = []
    with UtilisationSampler() if device == "cuda" else _NoSampler() as sampler:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # nosec B603
                                text=True)
        stdout: list[str] = []
        reader = threading.Thread(target=lambda: stdout.append(proc.stdout.read()), daemon=True)
        reader.start()
        for line in proc.stderr:
            for part in line.split("\r"):
                lines.append(part.strip())
                if part.startswith("classify:"):
                    marks.setdefault("loop_start", time.monotonic())
                if part.startswith("timings:"):
                    marks["loop_end"] = time.monotonic()
        proc.wait()
        reader.join(timeout=30)
        wall = time.monotonic() - t0
    text = "".join(stdout)
    if proc.returncode != 0 or "{" not in text:
        raise RuntimeError(f"classify failed ({proc.returncode}): {' | '.join(lines[-8:])}")
    result = json.loads(text[text.index("{"):])
    util = sampler.between(marks.get("loop_start"), marks.get("loop_end"))
    return {"result": result, "wall_s": wall, "utilisation": util, "out": out, "log_tail": lines[-6:]}


class _NoSampler:
    def __enter__(self) -> _NoSampler:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def between(self, *_: Any) -> dict[str, Any]:
        return {"source": "not a GPU run", "samples": 0}


def run_classify(device_name: str, sizes: Sizes, root: Path, sec: Section) -> None:
    import rasterio

    t0 = time.perf_counter()
    scene, model = make_inputs(root, sizes)
    sec.info["scene_and_model_s"] = round(time.perf_counter() - t0, 1)
    run = classify(device_name, root, scene, model)
    res, t = run["result"], run["result"]["timings"]
    total = t.get("total") or 1e-9
    shares = {k: t.get(k, 0.0) / total for k in ("read", "model", "write", "other")}
    with rasterio.open(run["out"]) as src:
        cmap = src.read(1)
        shape = (src.height, src.width)
    values = set(np.unique(cmap).tolist())
    allowed = {0} | {c["value"] for c in res["classes"]}
    ok = values <= allowed and len(values - {0}) >= 1 and res["device"].startswith(device_name)
    sec.check(f"python -m runner classify --device {device_name} on a {sizes.scene_km:g} km synthetic scene", ok,
              "exit 0, a class map of known classes, run on the asked device", wall_s=run["wall_s"],
              job_s=total, device=res["device"], batch_size=res["batch_size"], precision=res["precision"],
              map_shape=list(shape), classes_in_map=sorted(values - {0}))
    sec.check("share of the job's time", all(np.isfinite(v) for v in shares.values()) and t.get("model", 0) > 0,
              "reading / model / writing measured by the runner's StageTimer",
              read=shares["read"], model=shares["model"], write=shares["write"], other=shares["other"],
              seconds={k: t.get(k) for k in ("read", "model", "write", "other", "total")})
    util = run["utilisation"]
    if device_name == "cuda":
        ratio = t.get("read", 0.0) / max(t.get("model", 0.0), 1e-9)
        limit = "reading" if ratio > 1 else "the model"
        sec.info["read_to_model_ratio"] = ratio
        sec.info["limit"] = (f"{limit}: reading not hidden by the prefetcher took {ratio:.2f}× the model's time. "
                             "What would lift a reader limit: more than one reader thread (GDAL releases the GIL), "
                             "OMNISAT_PREFETCH above 2, inputs already on the grid (read directly, no warping), "
                             "tiled/COG inputs on local SSD")
        if util.get("samples"):
            sec.check("GPU utilisation during the tile loop (reading, model and writing interleave there)", True,
                      "sampled every 0.1 s (reported, not bounded)", **util)
        else:
            sec.not_applicable("GPU utilisation during the tile loop", "no pynvml and no nvidia-smi here", **util)
    else:
        sec.not_applicable("GPU utilisation", "CPU run")
