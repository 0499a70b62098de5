"""Selftest: the whole chain on a tiny synthetic scene made in the job folder — what *Test runner* runs.

It proves, on the user's own machine and device, that reading, training, inference and writing work, and reports how
long each took; nothing of the user's is read or written.
"""

from __future__ import annotations

import time
from typing import Any

from runner.jobs.context import JobContext


def run_selftest(ctx: JobContext) -> dict[str, Any]:
    from runner import model_store as store
    from runner.geo.scene import make_scene
    from runner.ops.classify import run_classify
    from runner.ops.finetune import run_finetune
    from runner.specs import ClassifySpec, FinetuneSpec

    timings: dict[str, float] = {}
    t = time.perf_counter()
    scene = make_scene(ctx.work_dir / "scene", size_km=0.2, seed=0, aerial_res=1.0)
    timings["scene_s"] = round(time.perf_counter() - t, 2)
    ctx.check_cancel()
    inputs = {"s2": [str(p) for p in scene["s2"]], "s1": [str(p) for p in scene["s1"]]}
    name = f"selftest-{ctx.job_id[:8]}"
    t = time.perf_counter()
    ft = run_finetune(FinetuneSpec(**inputs, labels=str(scene["labels"]), class_field="class_name", out_model=name,
                                   size="tiny", epochs=2), ctx)
    timings["finetune_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    try:
        result = run_classify(ClassifySpec(**inputs, model=name, out=str(ctx.work_dir / "selftest.tif")), ctx)
    finally:
        store.delete_model(ctx.home, name)
    timings["classify_s"] = round(time.perf_counter() - t, 2)
    return {"ok": True, "timings": timings, "classes": len(ft["classes"]), "class_map": result["class_map"],
            "patches": sum(a["patches"] for a in result["areas"])}
