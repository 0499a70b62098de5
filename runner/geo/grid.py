"""The patch grid every modality lands on, and the tiles (P×P patches) the model reads. Pure maths, no I/O."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from affine import Affine
from pyproj import CRS, Transformer

from runner.errors import InputError

# GDAL's block cache defaults to 5 % of RAM. Start small so the runner's memory stays bounded; each scene then
# raises it to what one row of tiles across its extent needs (geo/block_cache.py). An admin can still set it.
os.environ.setdefault("GDAL_CACHEMAX", "128")


@dataclass(frozen=True)
class TileWindow:
    row: int  # top-left patch of the tile
    col: int


@dataclass(frozen=True)
class GridSpec:
    crs: str
    xmin: float
    ymin: float
    xmax: float
    ymax: float
    patch_size: float = 10.0
    tile_patches: int = 6
    aerial_px: int = 50
    ts_px: int = 1

    @property
    def n_rows(self) -> int:
        return round((self.ymax - self.ymin) / self.patch_size)

    @property
    def n_cols(self) -> int:
        return round((self.xmax - self.xmin) / self.patch_size)

    @property
    def transform(self) -> Affine:
        """Patch-level geotransform (one pixel = one patch)."""
        return Affine(self.patch_size, 0, self.xmin, 0, -self.patch_size, self.ymax)

    def pixel_transform(self, px_per_patch: int) -> Affine:
        res = self.patch_size / px_per_patch
        return Affine(res, 0, self.xmin, 0, -res, self.ymax)

    @property
    def area_km2(self) -> float:
        return (self.xmax - self.xmin) * (self.ymax - self.ymin) / 1e6

    def tiles(self, stride: int | None = None) -> list[TileWindow]:
        """Tiles covering every patch, row-major. The last row/column of tiles is shifted inward so tiles stay
        inside the grid; a grid smaller than a tile gets one tile reaching past its edge (read as nodata)."""
        p = self.tile_patches
        stride = stride or p
        return [TileWindow(r, c) for r in _starts(self.n_rows, p, stride) for c in _starts(self.n_cols, p, stride)]


def _starts(n: int, size: int, stride: int) -> list[int]:
    if n <= size:
        return [0]
    starts = list(range(0, n - size + 1, stride))
    if starts[-1] != n - size:
        starts.append(n - size)
    return starts


def snap_outward(xmin: float, ymin: float, xmax: float, ymax: float, step: float,
                 anchor: tuple[float, float] = (0.0, 0.0)) -> tuple[float, ...]:
    """Grow the extent to whole patches aligned on `anchor` (the grid-defining raster's corner, so patches
    coincide with its pixels and no resampling blurs them)."""
    ax, ay = anchor[0] % step, anchor[1] % step
    eps = step * 1e-6  # keeps an already aligned extent from growing by a whole patch through float noise
    return (math.floor((xmin - ax + eps) / step) * step + ax, math.floor((ymin - ay + eps) / step) * step + ay,
            math.ceil((xmax - ax - eps) / step) * step + ax, math.ceil((ymax - ay - eps) / step) * step + ay)


def transform_bounds(bounds: tuple[float, float, float, float], src: str, dst: str) -> tuple[float, ...]:
    """Bounds of a rectangle in another CRS (densified edges, so curved reprojections are covered)."""
    if CRS.from_user_input(src) == CRS.from_user_input(dst):
        return tuple(bounds)
    tr = Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)
    return tuple(tr.transform_bounds(*bounds, densify_pts=21))


def intersect(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...] | None:
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def check_crs(crs: str, what: str) -> str:
    try:
        parsed = CRS.from_user_input(crs)
    except Exception:  # pyproj raises CRSError and others for garbage
        raise InputError(f"{what}: {crs!r} is not a CRS pyproj understands (use e.g. EPSG:32632)") from None
    if parsed.is_geographic:
        raise InputError(f"{what}: {parsed.name} is geographic (degrees); the patch grid needs a projected CRS "
                         "in metres, e.g. the UTM zone of the area")
    return parsed.to_wkt()
