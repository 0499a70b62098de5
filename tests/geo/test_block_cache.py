"""GDAL's block cache is sized to one row of tiles across the extent: measured by the width, never the area."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

from runner.geo.block_cache import block_row_bytes, ensure_block_cache, needed_cache


def write(path: Path, crs: str, origin: tuple[float, float], res: float, size: int, bands: int = 10,
          dtype: str = "uint16") -> Path:
    profile = {"driver": "GTiff", "width": size, "height": size, "count": bands, "dtype": dtype, "crs": crs,
               "transform": from_origin(*origin, res, res), "tiled": True, "blockxsize": 256, "blockysize": 256,
               "compress": "deflate"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.zeros((bands, size, size), dtype=dtype))
    return path


UTM = "EPSG:32632"
X0, Y0 = 500_000.0, 5_300_000.0


def test_need_grows_with_the_width_not_the_height(tmp_path: Path) -> None:
    f = write(tmp_path / "s2.tif", UTM, (X0, Y0), 10.0, 1024)
    with rasterio.open(f) as src:
        narrow = block_row_bytes(src, (X0, Y0 - 10_000, X0 + 2_000, Y0), UTM, 60.0)
        wide = block_row_bytes(src, (X0, Y0 - 2_000, X0 + 10_000, Y0), UTM, 60.0)
        tall = block_row_bytes(src, (X0, Y0 - 10_000, X0 + 2_000, Y0), UTM, 60.0)
    block = 256 * 256 * 10 * 2
    assert narrow == tall                         # the extent's height changes nothing
    assert wide > 3 * narrow                      # 40 blocks across instead of 8 (+1 each)
    assert narrow == int(1 * (60 / 10 / 256 + 1) * block)  # 2 km = 200 px: one block across, ~1 block row


def test_a_rotated_source_needs_more_rows(tmp_path: Path) -> None:
    """An aerial image in ETRS89-LAEA under a UTM grid: one grid row of tiles spans more of its pixel rows."""
    bounds = (X0, Y0 - 1_000, X0 + 4_000, Y0)
    same = write(tmp_path / "utm.tif", UTM, (X0, Y0), 1.0, 4096, bands=4, dtype="uint8")
    with rasterio.open(same) as src:
        straight = block_row_bytes(src, bounds, UTM, 60.0)
    from rasterio.warp import transform_bounds

    left, bottom, right, top = transform_bounds(UTM, "EPSG:3035", *bounds)
    laea = write(tmp_path / "laea.tif", "EPSG:3035", (left - 100, top + 100), 1.0, 4400, bands=4, dtype="uint8")
    with rasterio.open(laea) as src:
        rotated = block_row_bytes(src, bounds, UTM, 60.0)
    assert rotated > 1.15 * straight  # 24 % more here (a few degrees of rotation over 4 km), not 1.07 from width


def test_cache_is_raised_never_lowered() -> None:
    before = int(rasterio.env.get_gdal_config("GDAL_CACHEMAX", normalize=True))
    before_bytes = before * 2**20 if before < 100_000 else before
    info = ensure_block_cache(before_bytes)  # needs 1.25× what is there
    after = int(rasterio.env.get_gdal_config("GDAL_CACHEMAX", normalize=True))
    assert info["fits"] and after >= int(1.25 * before_bytes) - 1
    again = ensure_block_cache(1 * 2**20)
    assert int(rasterio.env.get_gdal_config("GDAL_CACHEMAX", normalize=True)) == after and again["fits"]


def test_needs_add_up_over_every_date(tmp_path: Path) -> None:
    files = [write(tmp_path / f"d{i}.tif", UTM, (X0, Y0), 10.0, 512) for i in range(3)]
    srcs = [rasterio.open(f) for f in files]
    try:
        bounds = (X0, Y0 - 5_000, X0 + 5_000, Y0)
        assert needed_cache(srcs, bounds, UTM, 60.0) == 3 * block_row_bytes(srcs[0], bounds, UTM, 60.0)
    finally:
        for s in srcs:
            s.close()
