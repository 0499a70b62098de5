"""Fine-tune: train a per-patch classifier from the user's polygons, from a pretrained model or from scratch."""

from __future__ import annotations

import random
from typing import Any

from runner import distributed as dist
from runner.errors import InputError
from runner.jobs.context import JobContext
from runner.ops.batches import fixed_batches, train_batches
from runner.ops.common import base_card, cached_tiles, finite_metrics, open_scene_for
from runner.ops.model_glue import config_for_scene, config_from_card, dates_choice, open_sized_scene, train_options
from runner.ops.recipe import Choice
from runner.specs import FinetuneSpec


def training_stream(scene: Any, tiles: list, spec: FinetuneSpec, labels: Any) -> Any:
    """The fine-tune's per-epoch batches, turned by random flips and right-angle rotations unless `augment` is off
    (runner/train/augment.py: what a tile holds does not depend on its orientation)."""
    from runner.train.augment import augmented

    batches = train_batches(scene, tiles, spec.batch_size, labels, spec.seed)
    return augmented(batches, spec.seed) if spec.augment else batches


def run_finetune(spec: FinetuneSpec, ctx: JobContext) -> dict[str, Any]:
    from runner import model_store
    from runner.geo import NormStats, check_trainable, rasterise_labels, split_blocks, tiles_with_labels
    from runner.train import finetune

    model_store.check_can_write(ctx.home, spec.out_model, overwrite=spec.overwrite)
    ctx.progress("reading", 0, 1)
    base_state, base_model_card = None, None
    if spec.base_model:
        base_state, base_model_card = model_store.load_model(ctx.home, spec.base_model)
        g = base_model_card["grid"]
        scene = open_scene_for(spec, tile_patches=g["tile_patches"], aerial_px=g["aerial_px"], ts_px=g["ts_px"],
                               norm=NormStats.from_dict(base_model_card["norm"]),
                               modalities=base_model_card["modalities"], ctx=ctx)
        size = Choice(base_model_card["size"],
                      f"{base_model_card['size']}: the size of the base model {spec.base_model}")
        cfg = config_from_card(base_model_card)
    else:
        scene, size = open_sized_scene(spec, ctx)
        scene.norm = scene.compute_norm()
        cfg = config_for_scene(size.value, scene, ltae_norm=spec.ltae_norm)

    labels = rasterise_labels(spec.labels, spec.class_field, scene.grid, color_field=spec.color_field)
    check_trainable(labels, spec.labels, spec.class_field)
    tiles = tiles_with_labels(labels, scene.grid)
    if len(tiles) < 2:
        raise InputError(f"labels {spec.labels}: only {len(tiles)} tile of {scene.grid.tile_patches}×"
                         f"{scene.grid.tile_patches} patches holds labelled patches; draw more polygons")
    train_tiles, val_tiles = split_blocks(tiles, val_fraction=spec.val_fraction, seed=spec.seed)
    if spec.label_fraction < 1.0:
        keep = max(1, round(len(train_tiles) * spec.label_fraction))
        picked = random.Random(spec.seed).sample(train_tiles, keep)  # nosec B311 - a label subset, not security
        train_tiles = sorted(picked, key=lambda t: (t.row, t.col))
    ctx.event("labels", f"{len(labels.classes)} classes: {', '.join(c.name for c in labels.classes)}; "
              f"{len(train_tiles)} training and {len(val_tiles)} validation tiles (spatially disjoint blocks)")

    # under torchrun each rank gets its share of the training tiles (runner/distributed); validation sees them all
    with cached_tiles(scene, ctx):
        result = finetune(cfg, len(labels.classes),
                          training_stream(scene, train_tiles, spec, labels),
                          fixed_batches(scene, val_tiles, spec.batch_size, labels), train_options(spec), ctx,
                          ctx.work_dir / "checkpoint", init_state=base_state)
    card = base_card(spec, scene, name=spec.out_model, kind="classifier", size=size.value, cfg=cfg,
                     base_model=spec.base_model)
    card["choices"] = {"size": size.as_card(), "dates": dates_choice(spec, scene).as_card()}
    card["classes"] = [{"value": c.value, "name": c.name, "color": c.color} for c in labels.classes]
    card["metrics"] = finite_metrics(result.metrics)
    card["history"] = finite_metrics(result.history)
    card["training"] = {"labels": spec.labels, "class_field": spec.class_field, "epochs": spec.epochs,
                        "best_epoch": result.best_epoch, "seed": spec.seed, "label_fraction": spec.label_fraction,
                        "train_tiles": len(train_tiles), "val_tiles": len(val_tiles)}
    if dist.is_main():  # one model, however many ranks trained it
        model_store.save_model(ctx.home, spec.out_model, result.state_dict, card, overwrite=spec.overwrite)
        ctx.event("model", f"saved model {spec.out_model}", metrics=card["metrics"])
    dist.barrier()
    return {"model": spec.out_model, "metrics": card["metrics"], "classes": card["classes"]}
