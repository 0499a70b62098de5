"""Size GDAL's block cache to one row of tiles across the extent, so no compressed block is decoded twice.

Why: tiles are read row by row across the whole extent, and every date of every series is its own file. A
compressed GeoTIFF block (typically 256×256 px, all bands) is decoded once into GDAL's cache and serves every
tile row it overlaps, *if it is still cached* when the next tile row needs it. With 50 dates × 2 series plus
the aerial image, one block row across a 4 km wide extent is ~130 MB: with a smaller cache, GDAL evicts blocks
before their second use and decodes them again for every tile row (measured: reading 3.6× slower at 16 km²
than at 1 km² with a 128 MB cache, equal with a sized one). The need grows with the extent's *width*, never
its area, so memory stays bounded; it is capped by a budget (a quarter of the available RAM, at most 2 GB), and
beyond that reading is slower but still correct.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import rasterio
from rasterio.warp import transform_bounds

MAX_CACHE = 2 * 2**30


def block_row_bytes(src: Any, bounds: tuple[float, float, float, float], crs: str, window_height: float) -> int:
    """Bytes of the blocks of `src` that reading windows `window_height` high across `bounds`, top to bottom,
    keeps in use: the block row the next window reuses plus the blocks the current window spans.

    The span is measured in the source's own CRS: an aerial image in another projection is rotated against the
    grid, so one grid row of tiles covers many more of its pixel rows than its height suggests."""
    xmin, ymin, xmax, ymax = bounds
    strip = (xmin, max(ymin, ymax - window_height), xmax, ymax)
    try:
        left, _, right, _ = transform_bounds(crs, src.crs, *bounds, densify_pts=21)
        _, s_bottom, _, s_top = transform_bounds(crs, src.crs, *strip, densify_pts=21)
    except Exception:  # noqa: BLE001 - a CRS that does not transform: assume the whole raster
        left, right, s_bottom, s_top = src.bounds.left, src.bounds.right, src.bounds.bottom, src.bounds.top
    res_x, res_y = abs(src.transform.a), abs(src.transform.e)
    bh, bw = src.block_shapes[0]
    c0 = max(0, math.floor((left - src.bounds.left) / res_x))
    c1 = min(src.width, math.ceil((right - src.bounds.left) / res_x))
    blocks_across = max(1, (max(c1, c0 + 1) - 1) // bw - c0 // bw + 1)
    rows_px = min(src.height, (s_top - s_bottom) / res_y)
    block_rows = min(math.ceil(src.height / bh), rows_px / bh + 1)
    itemsize = np.dtype(src.dtypes[0]).itemsize
    return int(blocks_across * block_rows * bw * bh * src.count * itemsize)


def needed_cache(sources: list[Any], bounds: tuple[float, float, float, float], crs: str, tile_height_m: float) -> int:
    return sum(block_row_bytes(s, bounds, crs, tile_height_m) for s in sources)


def available_ram() -> int:
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - psutil missing or restricted: assume a modest machine
        return 4 * 2**30


def ensure_block_cache(need: int, headroom: float = 1.25) -> dict[str, Any]:
    """Raise GDAL's cache to `need` × `headroom` within the budget (never lower it); say what was done.

    The headroom covers what the estimate leaves out (the warper's source padding, mask layers' blocks)."""
    budget = min(MAX_CACHE, available_ram() // 4)
    current = int(rasterio.env.get_gdal_config("GDAL_CACHEMAX", normalize=True) or 0)
    current_bytes = current * 2**20 if current < 100_000 else current  # GDAL: < 100000 means MB
    target = int(need * headroom)
    want = min(target, budget)
    if want > current_bytes:
        rasterio.env.set_gdal_config("GDAL_CACHEMAX", want)  # bytes: rasterio passes it to GDALSetCacheMax64
    return {"needed_mb": round(need / 2**20, 1), "cache_mb": round(max(want, current_bytes) / 2**20, 1),
            "fits": max(want, current_bytes) >= target}
