"""Bridges between specs/scenes/cards and the model's configuration and training options."""

from __future__ import annotations

from typing import Any

from runner.specs import InputsSpec


def config_for_scene(size: str, scene: Any) -> Any:
    """A model configuration matching the scene: its modalities, band counts and grid geometry."""
    from runner.model import OmniSatConfig

    return OmniSatConfig.for_size(
        size,
        modalities={m: len(scene.bands[m]) for m in scene.modalities},
        tile_patches=scene.grid.tile_patches,
        aerial_px=scene.grid.aerial_px,
        ts_px=scene.grid.ts_px,
        band_names={m: list(scene.bands[m]) for m in scene.modalities},
    )


def config_from_card(card: dict[str, Any]) -> Any:
    from runner.model import OmniSatConfig

    return OmniSatConfig.from_dict(card["config"])


def train_options(spec: InputsSpec) -> Any:
    from runner.train import TrainOptions

    # User polygons are nearly always imbalanced (a few hectares of a rare species among forest): weight classes
    # by inverse frequency when fine-tuning.
    return TrainOptions(epochs=getattr(spec, "epochs", 1), batch_size=spec.batch_size, device=spec.device, amp=spec.amp,
                        seed=getattr(spec, "seed", 0), class_weights=hasattr(spec, "class_field"))
