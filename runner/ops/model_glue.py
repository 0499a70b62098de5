"""Bridges between specs/scenes/cards and the model's configuration and training options."""

from __future__ import annotations

from typing import Any

from runner.ops.recipe import Choice, choose_size
from runner.ops.recipe import dates_choice as recipe_dates
from runner.specs import InputsSpec


def config_for_scene(size: str, scene: Any, ltae_norm: str = "series") -> Any:
    """A model configuration matching the scene: its modalities, band counts and grid geometry."""
    from runner.model import OmniSatConfig

    cfg = OmniSatConfig.for_size(
        size,
        modalities={m: len(scene.bands[m]) for m in scene.modalities},
        tile_patches=scene.grid.tile_patches,
        aerial_px=scene.grid.aerial_px,
        ts_px=scene.grid.ts_px,
        band_names={m: list(scene.bands[m]) for m in scene.modalities},
    )
    cfg.ltae_norm = ltae_norm
    cfg.validate()
    return cfg


def open_sized_scene(spec: Any, ctx: Any) -> tuple[Any, Choice]:
    """The scene of a pretrain or from-scratch finetune and the model size for it (`auto` decided from its tiles).

    The aerial pixels per patch depend on the size, so a scene opened for `tiny` is reopened for `base`."""
    from runner.ops.common import DEFAULT_AERIAL_PX, open_scene_for

    first = "tiny" if spec.size == "auto" else spec.size
    scene = open_scene_for(spec, tile_patches=spec.tile_patches, aerial_px=spec.aerial_px or DEFAULT_AERIAL_PX[first],
                           ctx=ctx)
    size = choose_size(spec.size, len(scene.tiles()), scene.grid.area_km2)
    ctx.event("choice", f"model size {size.reason}")
    if size.value != first and spec.aerial_px is None and "aerial" in scene.modalities:
        scene = open_scene_for(spec, tile_patches=spec.tile_patches, aerial_px=DEFAULT_AERIAL_PX[size.value])
    return scene, size


def dates_choice(spec: InputsSpec, scene: Any) -> Choice:
    """How many of the given dates the scene kept per series (all, unless max_dates thinned them)."""
    from runner.ops.common import series_from_spec

    series = series_from_spec(spec)
    available = {m: len(series[m]) for m in ("s1", "s2") if series[m]}
    return recipe_dates(scene.dates, available, spec.max_dates)


def config_from_card(card: dict[str, Any]) -> Any:
    from runner.model import OmniSatConfig

    return OmniSatConfig.from_dict(card["config"])


def train_options(spec: InputsSpec) -> Any:
    from runner.train import TrainOptions

    # User polygons are nearly always imbalanced (a few hectares of a rare species among forest): weight classes
    # by inverse frequency when fine-tuning.
    return TrainOptions(epochs=getattr(spec, "epochs", 1), batch_size=spec.batch_size, device=spec.device, amp=spec.amp,
                        seed=getattr(spec, "seed", 0), class_weights=hasattr(spec, "class_field"),
                        time_budget_s=minutes * 60 if (minutes := getattr(spec, "minutes", None)) else None)
