"""What the dock and the Processing algorithms hand to a job: plain dataclasses turned into runner job specs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SeriesLayer:
    path: str
    date: dt.date


@dataclass
class Imagery:
    aerial: str | None = None
    s1: list[SeriesLayer] = field(default_factory=list)
    s2: list[SeriesLayer] = field(default_factory=list)
    extent: tuple[float, float, float, float] | None = None
    extent_crs: str | None = None  # authid or WKT
    patch_size: float = 10.0
    device: str = "auto"
    amp: str = "auto"  # auto | bf16 | off: mixed precision

    def spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"patch_size": self.patch_size, "device": self.device}
        if self.amp != "auto":  # only when chosen: an older runner knows no `amp` field
            out["amp"] = self.amp
        if self.aerial:
            out["aerial"] = self.aerial
        for key in ("s1", "s2"):
            layers = sorted(getattr(self, key), key=lambda s: s.date)
            if layers:
                out[key] = [s.path for s in layers]
                out[f"{key}_dates"] = [s.date.isoformat() for s in layers]
        if self.extent is not None:
            out["extent"] = list(self.extent)
            out["extent_crs"] = self.extent_crs
        return out


@dataclass
class ClassifyParams:
    imagery: Imagery
    model: str
    out: str

    def spec(self) -> dict[str, Any]:
        return {**self.imagery.spec(), "model": self.model, "out": self.out}


@dataclass
class PretrainParams:
    imagery: Imagery
    out_model: str
    epochs: int = 20
    size: str = "auto"  # the runner picks from the amount of imagery (runner/ops/recipe.py)

    def spec(self) -> dict[str, Any]:
        return {**self.imagery.spec(), "out_model": self.out_model, "epochs": self.epochs, "size": self.size,
                "overwrite": True}


@dataclass
class FinetuneParams:
    imagery: Imagery
    labels: str
    class_field: str
    out_model: str
    base_model: str | None = None  # the pretrained model to start from; None: from scratch
    color_field: str | None = None
    epochs: int = 30
    size: str = "auto"  # the runner picks from the amount of imagery (runner/ops/recipe.py)

    def spec(self) -> dict[str, Any]:
        out = {**self.imagery.spec(), "labels": self.labels, "class_field": self.class_field,
               "out_model": self.out_model, "epochs": self.epochs, "size": self.size, "overwrite": True}
        if self.base_model:
            out["base_model"] = self.base_model
        if self.color_field:
            out["color_field"] = self.color_field
        return out
