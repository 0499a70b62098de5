"""Pretrain: self-supervised OmniSat on the user's imagery (contrastive + masked reconstruction), no labels."""

from __future__ import annotations

from typing import Any

from runner import distributed as dist
from runner.jobs.context import JobContext
from runner.ops.batches import fixed_batches, train_batches
from runner.ops.common import base_card, cached_tiles, finite_metrics
from runner.ops.model_glue import config_for_scene, dates_choice, open_sized_scene, train_options
from runner.specs import PretrainSpec


def run_pretrain(spec: PretrainSpec, ctx: JobContext) -> dict[str, Any]:
    from runner import model_store
    from runner.geo import split_blocks
    from runner.train import pretrain

    model_store.check_can_write(ctx.home, spec.out_model, overwrite=spec.overwrite)
    ctx.progress("reading", 0, 1)
    scene, size = open_sized_scene(spec, ctx)
    ctx.event("scene", f"grid {scene.grid.n_rows}×{scene.grid.n_cols} patches, modalities "
              f"{', '.join(scene.modalities)}", dates={m: len(d) for m, d in scene.dates.items()})
    scene.norm = scene.compute_norm()
    tiles = scene.tiles()
    train_tiles, val_tiles = split_blocks(tiles, val_fraction=0.1, seed=spec.seed)
    if not train_tiles:
        train_tiles, val_tiles = tiles, tiles[:1]
    ctx.event("split", f"{len(train_tiles)} training tiles, {len(val_tiles)} validation tiles (spatial blocks)")
    cfg = config_for_scene(size.value, scene, ltae_norm=spec.ltae_norm)
    # under torchrun each rank gets its share of the training tiles (runner/distributed); validation sees them all
    with cached_tiles(scene, ctx):
        result = pretrain(cfg, train_batches(scene, train_tiles, spec.batch_size, seed=spec.seed),
                          fixed_batches(scene, val_tiles, spec.batch_size), train_options(spec), ctx,
                          ctx.work_dir / "checkpoint")
    card = base_card(spec, scene, name=spec.out_model, kind="pretrained", size=size.value, cfg=cfg, base_model=None)
    card["choices"] = {"size": size.as_card(), "dates": dates_choice(spec, scene).as_card()}
    card["classes"] = []
    card["metrics"] = finite_metrics(result.metrics)
    card["history"] = finite_metrics(result.history)
    card["training"] = {"epochs": spec.epochs, "best_epoch": result.best_epoch, "seed": spec.seed,
                        "batch_size": spec.batch_size, "tiles": len(train_tiles)}
    if dist.is_main():  # one model, however many ranks trained it
        model_store.save_model(ctx.home, spec.out_model, result.state_dict, card, overwrite=spec.overwrite)
        ctx.event("model", f"saved model {spec.out_model}")
    dist.barrier()
    return {"model": spec.out_model, "metrics": card["metrics"]}
