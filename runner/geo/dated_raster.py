"""DatedRaster: one date of a series as every reader hands it on (its own module: the input expansion and the
readers of each imagery form both build them, and neither imports the other's module for it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class DatedRaster:
    """One date of a series: the raster the scene reader opens (the user's file, or a VRT resolving a product,
    per-band files or a stack), its date, and what it came from (for the job's log and error messages)."""

    path: str
    date: dt.date
    mask: str | None = None            # a cloud mask found with the imagery (a product's SCL)
    form: str | None = None            # how it was recognised (runner/geo/forms.py), None for a plain raster
    detail: tuple[str, ...] = ()       # what the reader did (offsets applied, unit converted)
    source: str = ""                   # the user's path it came from
    tile: str | None = None            # the product's grid tile (Sentinel-2 MGRS), when it says

    def __post_init__(self) -> None:
        if not self.source:
            object.__setattr__(self, "source", self.path)
