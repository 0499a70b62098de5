"""Rasters already on the grid are read directly, with exactly the values GDAL's warper gives; anything not on
the grid's pixels (CRS, resolution, sub-pixel offset, masks) still goes through the warper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling
from rasterio.transform import from_origin

from runner.geo.grid import GridSpec
from runner.geo.scene_reader import Layer

CRS = "EPSG:32632"
# 20 × 30 patches of 10 m; the rasters below start 3 pixels west and 2 north of it and stop short on the east
GRID = GridSpec(CRS, 500000.0, 5800000.0, 500300.0, 5800200.0, patch_size=10.0, tile_patches=6, aerial_px=4)
WINDOWS = [(0, 0, 24, 24), (10, 50, 40, 80), (60, 100, 24, 24), (70, 110, 20, 30)]  # the last ones reach past data


def write(path: Path, data: np.ndarray, *, res: float, x0: float, y0: float, crs: str = CRS,
          nodata: float | None = None, **extra) -> str:
    count, h, w = data.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=count, dtype=data.dtype, crs=crs,
                       transform=from_origin(x0, y0, res, res), nodata=nodata, **extra) as dst:
        dst.write(data)
    return str(path)


def both(path: str, px: int, resampling: Resampling) -> tuple[Layer, Layer]:
    """The same two bands read directly (where possible) and through the warper."""
    return (Layer(path, GRID, px, [1, 2], resampling, "test"),
            Layer(path, GRID, px, [1, 2], resampling, "test", direct=False))


@pytest.mark.parametrize(("dtype", "nodata", "resampling"), [
    ("uint8", None, Resampling.average),      # an aerial image: no nodata, averaged
    ("uint16", 0, Resampling.bilinear),       # Sentinel-2: 0 is nodata, some pixels are 0
    ("float32", None, Resampling.bilinear),   # Sentinel-1 in linear units, NaN where missing
])
def test_aligned_raster_reads_the_warpers_values_directly(tmp_path: Path, dtype: str, nodata, resampling) -> None:
    rng = np.random.default_rng(0)
    px = 4  # 2.5 m pixels
    data = rng.integers(1, 250, size=(2, 70, 100)).astype(dtype)
    if nodata is not None:
        data[:, 5:9, 10:20] = nodata
    if dtype == "float32":
        data[0, 30:33, 40:44] = np.nan
    path = write(tmp_path / "a.tif", data, res=2.5, x0=GRID.xmin - 3 * 2.5, y0=GRID.ymax + 2 * 2.5, nodata=nodata)
    direct, warped = both(path, px, resampling)
    assert not direct.warped and direct.offset == (2, 3) and warped.warped
    for r0, c0, h, w in WINDOWS:
        a, b = direct.read(r0, c0, h, w), warped.read(r0, c0, h, w)
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)  # NaN in the same places, every other value equal
    assert np.isnan(direct.read(60, 100, 24, 24)).any()  # past the raster's east and south edges
    if nodata is not None:
        assert np.isnan(direct.read(0, 0, 24, 24)[:, 3:7, 7:17]).all()


@pytest.mark.parametrize("case", ["other CRS", "other resolution", "half-pixel offset", "alpha band", "rotated"])
def test_rasters_not_on_the_grid_are_warped(tmp_path: Path, case: str) -> None:
    data = np.full((2, 40, 60), 100, dtype="uint8")
    kwargs = dict(res=2.5, x0=GRID.xmin, y0=GRID.ymax)
    if case == "other CRS":
        kwargs["crs"] = "EPSG:25832"  # practically the same projection, but not the same CRS: GDAL decides
    elif case == "other resolution":
        kwargs["res"] = 2.0
    elif case == "half-pixel offset":
        kwargs["x0"] = GRID.xmin + 1.25
    elif case == "alpha band":
        data = np.full((4, 40, 60), 100, dtype="uint8")
        kwargs["photometric"] = "RGB"
        kwargs["alpha"] = "YES"
    path = write(tmp_path / "b.tif", data, **kwargs)
    if case == "rotated":
        with rasterio.open(path, "r+") as dst:
            dst.transform = dst.transform @ dst.transform.rotation(5)
    layer = Layer(path, GRID, 4, [1], Resampling.average, "test")
    assert layer.warped and layer.offset is None


def test_scene_reads_the_same_batches_with_and_without_direct_reads(small_scene: Path) -> None:
    """The synthetic scene's Sentinel-2 and its masks define the grid (direct), its aerial image is in another
    CRS (warped): a whole batch is the same as with every layer warped."""
    from runner.geo import expand_series, open_scene

    s2 = expand_series([str(small_scene / "s2")], "s2")
    s1 = expand_series([str(small_scene / "s1")], "s1")
    scene = open_scene(str(small_scene / "aerial.tif"), s1, s2, aerial_px=10)
    try:
        s2_layers = scene._layers["s2"]
        assert not any(layer.warped for layer in s2_layers) and scene._layers["aerial"][0].warped
        tiles = scene.tiles()[:4]
        fast = scene.read_batch(tiles)
        for m, layers in scene._layers.items():
            px, resampling = ((scene.grid.aerial_px, Resampling.average) if m == "aerial"
                              else (scene.grid.ts_px, Resampling.bilinear))
            scene._layers[m] = [Layer(x.path, scene.grid, px, x.indexes, resampling, m, direct=False) for x in layers]
        slow = scene.read_batch(tiles)
    finally:
        scene.close()
    assert fast.keys() == slow.keys()
    for k in fast:
        if k != "tiles":
            np.testing.assert_array_equal(fast[k], slow[k], err_msg=k)


def _rgba(tmp_path: Path, alpha: np.ndarray, name: str) -> str:
    """A 0.5 m RGBA aerial image on the grid's lattice (as drone orthomosaics come) and one Sentinel-2 date."""
    rng = np.random.default_rng(1)
    rgb = rng.integers(1, 250, size=(3, 400, 600)).astype("uint8")
    return write(tmp_path / name, np.concatenate([rgb, alpha[None]]), res=0.5, x0=GRID.xmin, y0=GRID.ymax,
                 photometric="RGB", alpha="YES")


def _s2(tmp_path: Path) -> list:
    import datetime as dt

    from runner.geo.dated_raster import DatedRaster
    data = np.full((10, 20, 30), 1000, dtype="uint16")
    return [DatedRaster(write(tmp_path / "S2_20200601.tif", data, res=10.0, x0=GRID.xmin, y0=GRID.ymax, nodata=0),
                        dt.date(2020, 6, 1))]


def test_an_rgba_orthomosaic_is_three_bands_and_its_transparent_part_is_nodata(tmp_path: Path) -> None:
    from runner.geo import open_scene

    alpha = np.full((400, 600), 255, dtype="uint8")
    alpha[:, :300] = 0  # the western half lies outside the flight
    scene = open_scene(_rgba(tmp_path, alpha, "ortho.tif"), [], _s2(tmp_path), aerial_px=20)
    try:
        assert scene.bands["aerial"] == ["R", "G", "B"] and scene._layers["aerial"][0].indexes == [1, 2, 3]
        layer = scene._layers["aerial"][0]
        west, east = layer.read(0, 0, 80, 100), layer.read(0, 400, 80, 100)  # 0.5 m pixels, the seam at 300
        batch = scene.read_batch([scene.tiles()[0]])
    finally:
        scene.close()
    assert west.shape[0] == 3 and np.isnan(west).all()      # transparent: nodata, not black
    assert not np.isnan(east).any()
    assert batch["aerial"].shape[1] == 3


def test_a_data_band_flagged_as_alpha_is_read_as_data_with_a_notice(tmp_path: Path) -> None:
    """R, G, B, NIR written with GDAL's defaults: NIR flagged as alpha. Read as the same file without the flag
    would be (directly on the grid and warped), every band, and the job is told."""
    from rasterio.enums import ColorInterp

    from runner.geo import open_scene

    nir = np.random.default_rng(2).integers(0, 256, size=(400, 600)).astype("uint8")
    flagged = _rgba(tmp_path, nir, "cir.tif")
    plain = tmp_path / "plain.tif"
    plain.write_bytes(Path(flagged).read_bytes())
    with rasterio.open(plain, "r+") as dst:
        dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.undefined]
    s2 = _s2(tmp_path)
    reads = {}
    for name, path in (("flagged", flagged), ("plain", str(plain))):
        scene = open_scene(path, [], s2, aerial_px=20)
        try:
            reads[name] = scene._layers["aerial"][0].read(0, 0, 120, 240), scene.bands["aerial"], scene.notices
            warped = Layer(path, GRID, 20, [1, 2, 3, 4], Resampling.average, "aerial", direct=False,
                           ignore_alpha=name == "flagged").read(0, 0, 120, 240)
        finally:
            scene.close()
        np.testing.assert_array_equal(warped, reads[name][0])
    (flagged_px, flagged_bands, notices), (plain_px, plain_bands, plain_notices) = reads["flagged"], reads["plain"]
    assert flagged_bands == plain_bands == ["R", "G", "B", "NIR"]
    np.testing.assert_array_equal(flagged_px, plain_px)
    assert not np.isnan(flagged_px).any()
    assert plain_notices == [] and len(notices) == 1
    assert "cir.tif: band 4 is flagged as alpha" in notices[0] and "gdal_edit.py -colorinterp_4" in notices[0]
