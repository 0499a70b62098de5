"""Per-band normalisation statistics, computed from a sample of the imagery and stored with the model.

Robust percentiles (2nd and 98th) rather than mean/std: clouds, shadows and speckle put heavy tails on every band,
and a model card must make inference normalise exactly as training did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class NormStats:
    bands: dict[str, list[str]] = field(default_factory=dict)
    offset: dict[str, list[float]] = field(default_factory=dict)
    scale: dict[str, list[float]] = field(default_factory=dict)
    s1_unit: str = "db"  # the convention S1 is converted to before normalising

    def to_dict(self) -> dict[str, Any]:
        return {"bands": self.bands, "offset": self.offset, "scale": self.scale, "s1_unit": self.s1_unit,
                "method": "robust: (x - p2) / (p98 - p2)"}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NormStats:
        return cls(bands={k: list(v) for k, v in d["bands"].items()},
                   offset={k: [float(x) for x in v] for k, v in d["offset"].items()},
                   scale={k: [float(x) for x in v] for k, v in d["scale"].items()},
                   s1_unit=d.get("s1_unit", "db"))

    def apply(self, modality: str, x: np.ndarray, channel_axis: int) -> np.ndarray:
        """Normalise in place-ish; x holds the bands along `channel_axis`."""
        shape = [1] * x.ndim
        shape[channel_axis] = -1
        off = np.asarray(self.offset[modality], dtype=np.float32).reshape(shape)
        sc = np.asarray(self.scale[modality], dtype=np.float32).reshape(shape)
        return (x - off) / sc


def robust_stats(samples: np.ndarray) -> tuple[list[float], list[float]]:
    """samples: (N, C) finite values per band → (offset, scale) from the 2nd/98th percentiles."""
    lo = np.nanpercentile(samples, 2, axis=0)
    hi = np.nanpercentile(samples, 98, axis=0)
    scale = np.where(np.isfinite(hi - lo) & (hi - lo > 1e-6), hi - lo, 1.0)
    lo = np.where(np.isfinite(lo), lo, 0.0)
    return [float(v) for v in lo], [float(v) for v in scale]
