"""`make demo`: the whole OmniSat workflow on the embedded synthetic scene, through the runner API.

1. write the synthetic tri-modal scene (aerial 0.2 m, Sentinel-1 and Sentinel-2 series, label polygons);
2. split the label polygons into spatial halves (west: training, east: held out);
3. pretrain a model self-supervised on the imagery; 4. fine-tune it on the west half;
5. classify the whole extent; 6. score the map on the held-out east half → metrics.json;
7. export for foresters with QGIS (headless): polygons with hectares, the per-class area report, a PDF/PNG map.
Everything lands in demo/out/. Environment: DEMO_SIZE_KM (default 1.0), DEMO_EPOCHS_PRETRAIN, DEMO_EPOCHS_FINETUNE.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from demo.metrics import score_map
from demo.runner_session import RunnerSession
from demo.split_labels import split_halves

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "demo" / "out"


def step(n: int, text: str) -> None:
    print(f"\n[{n}/7] {text}", flush=True)


def main() -> int:
    t0 = time.time()
    size_km = float(os.environ.get("DEMO_SIZE_KM", "1.0"))
    ep_pre = int(os.environ.get("DEMO_EPOCHS_PRETRAIN", "4"))
    ep_ft = int(os.environ.get("DEMO_EPOCHS_FINETUNE", "15"))
    OUT.mkdir(parents=True, exist_ok=True)
    scene = OUT / "scene"

    step(1, f"synthetic scene, {size_km} km × {size_km} km → {scene}")
    marker = scene / ".complete"
    from runner.geo.scene import SCENE_VERSION, make_scene

    key = f"{size_km}:0:v{SCENE_VERSION}"
    if not (marker.exists() and marker.read_text() == key):
        shutil.rmtree(scene, ignore_errors=True)
        make_scene(scene, size_km=size_km, seed=0)
        marker.write_text(key)
    inputs = {"aerial": str(scene / "aerial.tif"), "s1": sorted(str(p) for p in (scene / "s1").glob("*.tif")),
              "s2": sorted(str(p) for p in (scene / "s2").glob("*.tif")), "device": "auto"}

    step(2, "label polygons split into spatial halves (west trains, east is held out)")
    train_gpkg, test_gpkg, counts = split_halves(scene / "labels.gpkg", OUT)
    print(f"  {counts['train']} training polygons → {train_gpkg.name}, {counts['test']} held out → {test_gpkg.name}")

    with RunnerSession(OUT / "runner-home") as runner:
        health = runner.request("GET", "/v1/health")
        print(f"  runner {health['runner_version']} on {health['device_name']} (torch {health['torch_version']}, "
              f"allocator {health.get('allocator')})")
        step(3, f"pretraining OmniSat (tiny) self-supervised, {ep_pre} epochs")
        runner.run_job("pretrain", {**inputs, "out_model": "demo-pretrained", "size": "tiny", "epochs": ep_pre,
                                    "overwrite": True}, "pretrain")
        step(4, f"fine-tuning on the west half, {ep_ft} epochs")
        ft = runner.run_job("finetune", {**inputs, "base_model": "demo-pretrained", "labels": str(train_gpkg),
                                         "class_field": "class_name", "color_field": "color",
                                         "out_model": "demo-classifier", "epochs": ep_ft, "overwrite": True},
                            "finetune")
        step(5, "classifying the whole extent")
        result = runner.run_job("classify", {**inputs, "model": "demo-classifier",
                                             "out": str(OUT / "classmap.tif")}, "classify")

    step(6, "scoring the map on the held-out east half")
    metrics = score_map(Path(result["class_map"]), test_gpkg, "class_name", result["classes"])
    metrics["validation_during_finetune"] = ft.get("metrics")
    (OUT / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print(f"  overall accuracy {metrics['overall_accuracy']:.3f}, macro F1 {metrics['macro_f1']:.3f} "
          f"on {metrics['patches']} held-out patches")

    step(7, "exports with QGIS: polygons with hectares, area report, PDF/PNG map")
    exports = export_with_qgis(result)

    print(f"\nDone in {time.time() - t0:.0f} s. Everything is in {OUT}:")
    for label, path in [("class map", result["class_map"]), ("style", result["qml"]),
                        ("confidence", result["confidence"]), *exports.items(),
                        ("metrics", str(OUT / "metrics.json"))]:
        print(f"  {label:<14} {path}")
    print("\nPer-class F1 on the held-out half:")
    for name, f1 in metrics["per_class_f1"].items():
        print(f"  {name:<24} {f1:.3f}" if f1 is not None else f"  {name:<24} (absent)")
    return 0


def export_with_qgis(result: dict) -> dict[str, str]:
    """The plugin's own export code, in a headless QGIS."""
    from demo.qgis_exports import run_exports

    return run_exports(Path(result["class_map"]), Path(result["confidence"]), OUT, model_name=result["model"])


if __name__ == "__main__":
    sys.exit(main())
