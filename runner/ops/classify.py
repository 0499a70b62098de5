"""Classify: stream the extent's tiles through a trained model into a blended, styled class map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runner import distributed as dist
from runner.errors import InputError
from runner.jobs.context import JobContext
from runner.ops.common import open_scene_for
from runner.ops.model_glue import config_from_card
from runner.ops.timing import StageTimer, peak_rss_mb
from runner.specs import ClassifySpec


def run_classify(spec: ClassifySpec, ctx: JobContext) -> dict[str, Any]:
    from runner import model_store
    from runner.geo import ClassInfo, ClassMapWriter, NormStats
    from runner.train import Predictor

    state, card = model_store.load_model(ctx.home, spec.model)
    if card.get("kind") != "classifier" or not card.get("classes"):
        raise InputError(f"model {spec.model} has no classes (it is {card.get('kind', 'not a classifier')}); "
                         "fine-tune it on labels first")
    out = Path(spec.out)
    if not out.parent.is_dir():
        raise InputError(f"out {spec.out}: folder {out.parent} does not exist")
    g = card["grid"]
    scene = open_scene_for(spec, tile_patches=g["tile_patches"], aerial_px=g["aerial_px"], ts_px=g["ts_px"],
                           norm=NormStats.from_dict(card["norm"]), modalities=card["modalities"], ctx=ctx)
    _check_bands(scene, card)
    classes = [ClassInfo(c["value"], c["name"], c["color"]) for c in card["classes"]]
    # A batch size the user set is an upper bound; otherwise the runner sizes it from free memory.
    requested = spec.batch_size if "batch_size" in spec.model_fields_set else None
    predictor = Predictor(config_from_card(card), state, device=spec.device, amp=spec.amp, batch_size=requested,
                          dates=spec.max_dates, compile=spec.compile, modalities=list(scene.modalities))
    stride = max(1, g["tile_patches"] - spec.overlap)
    tiles = scene.tiles(stride=stride)
    ctx.event("classify", f"{len(tiles)} tiles over {scene.grid.n_rows}×{scene.grid.n_cols} patches with "
              f"{', '.join(scene.modalities)} on {predictor.device}, "
              f"{predictor.batch_size} tiles per batch{' in bf16' if predictor.dtype is not None else ''}")
    if dist.info().distributed:  # each rank classifies its share of the tiles; rank 0 merges one map (distributed/)
        from runner.distributed.classify import ShardedClassMapWriter

        dist.local_device(predictor.device)  # checks this rank has its own GPU; on a CPU, takes its share of cores
        writer = ShardedClassMapWriter(out, scene.grid, classes, tiles, predictor.batch_size, ctx.work_dir)
        tiles = writer.tiles
    else:
        writer = ClassMapWriter(out, scene.grid, classes, confidence=True)
    timer = StageTimer()
    done = 0
    try:
        for batch in timer.iterate("read", scene.iter_batches(tiles, predictor.batch_size)):
            ctx.check_cancel()
            with timer.stage("model"):
                probs = predictor.predict(batch, modalities=scene.modalities)
            with timer.stage("write"):
                for tile, p in zip(batch["tiles"], probs, strict=True):
                    writer.add(tile, p)
            done += len(batch["tiles"])
            ctx.progress("classify", done, len(tiles))
        ctx.check_cancel()
        with timer.stage("write"):
            written = writer.close()
    except BaseException:
        writer.abort()
        raise
    ctx.event("timings", timer.summary(), **timer.seconds())
    result = {"class_map": str(written["class_map"]), "confidence": str(written.get("confidence", "")),
              "qml": str(written.get("qml", "")), "confidence_qml": str(written.get("confidence_qml", "")),
              "model": spec.model, "modalities": list(scene.modalities),
              "classes": card["classes"], "areas": written.get("areas", []), "timings": timer.seconds(),
              "device": str(predictor.device), "batch_size": predictor.batch_size,
              "precision": "fp32" if predictor.dtype is None else "bf16", "peak_rss_mb": peak_rss_mb()}
    ctx.event("result", f"class map written to {result['class_map']}")
    return result


def _check_bands(scene: Any, card: dict[str, Any]) -> None:
    for m in scene.modalities:
        want, got = card["bands"].get(m), scene.bands.get(m)
        if want is not None and got is not None and len(want) != len(got):
            raise InputError(f"{m}: the model {card['name']} reads {len(want)} bands ({', '.join(want)}), "
                             f"the input has {len(got)} ({', '.join(got)})")
