"""Dates, series expansion and the errors that name the culprit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from runner.errors import InputError
from runner.geo import expand_series, open_scene
from runner.geo.dates import date_from_name, date_from_tags


@pytest.mark.parametrize("name, expected", [
    ("S2_20200315.tif", dt.date(2020, 3, 15)),
    ("sentinel2_2021-06-01_clip.tif", dt.date(2021, 6, 1)),
    ("S2B_MSIL2A_20210704T103629_N0301_R008_T32UNC_20210704T134522.tif", dt.date(2021, 7, 4)),
    ("S1A_IW_GRDH_1SDV_20200103T053400_20200103T053425_030614_038237_1234.tif", dt.date(2020, 1, 3)),
    ("tile_123456_20201301.tif", None), ("aerial.tif", None),
])
def test_date_from_name(name: str, expected) -> None:
    assert date_from_name(name) == expected


def test_date_from_tags() -> None:
    assert date_from_tags({"ACQUISITION_DATETIME": "2020-05-06T10:00:00Z"}) == dt.date(2020, 5, 6)
    assert date_from_tags({"TIFFTAG_DATETIME": "2019:07:08 11:12:13"}) == dt.date(2019, 7, 8)
    assert date_from_tags({"OTHER": "x"}) is None


def write(path: Path, bands: int = 10, dtype: str = "uint16", crs: str = "EPSG:32632", value: float = 1000,
          size: int = 12, origin=(500000, 5800000), tags: dict | None = None, nan: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.full((bands, size, size), value, dtype=dtype)
    if nan:
        data[:] = np.nan
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=bands, dtype=dtype, crs=crs,
                       transform=Affine(10, 0, origin[0], 0, -10, origin[1])) as dst:
        dst.write(data)
        if tags:
            dst.update_tags(**tags)
    return path


def test_undated_files_are_listed(tmp_path: Path) -> None:
    write(tmp_path / "S2_20200101.tif")
    write(tmp_path / "scene_a.tif")
    write(tmp_path / "scene_b.tif", tags={"ACQUISITION_DATETIME": "2020-02-02"})
    with pytest.raises(InputError, match="scene_a.tif") as err:
        expand_series([str(tmp_path)], "s2")
    assert "scene_b" not in str(err.value)  # dated by its metadata


def test_duplicate_dates_are_named(tmp_path: Path) -> None:
    write(tmp_path / "S2_20200101.tif")
    write(tmp_path / "S2_20200101_2.tif")
    with pytest.raises(InputError, match="duplicate date 2020-01-01"):
        expand_series([str(tmp_path)], "s2")


def test_given_dates_override_names_and_sort(tmp_path: Path) -> None:
    a, b = write(tmp_path / "x.tif"), write(tmp_path / "y.tif")
    series = expand_series([str(a), str(b)], "s2", dates=["2020-05-01", "2020-01-01"])
    assert [r.path for r in series] == [str(b), str(a)]


def test_non_raster_and_missing_files_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "S2_20200101.tif"
    bad.write_text("not a raster")
    with pytest.raises(InputError, match="S2_20200101.tif"):
        open_scene(None, [], expand_series([str(bad)], "s2"))
    with pytest.raises(InputError, match="S2_20200202.tif"):
        expand_series([str(tmp_path / "S2_20200202.tif")], "s2")


def test_truncated_geotiff_is_named(tmp_path: Path) -> None:
    good = write(tmp_path / "S2_20200101.tif", size=256)
    data = good.read_bytes()
    cut = tmp_path / "S2_20200102.tif"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="S2_20200102.tif"):
        scene = open_scene(None, [], expand_series([str(good), str(cut)], "s2"))
        scene.read_batch(scene.tiles())


def test_wrong_and_mixed_band_counts_are_named(tmp_path: Path) -> None:
    write(tmp_path / "S2_20200101.tif", bands=4)
    with pytest.raises(InputError, match="S2_20200101.tif has 4 bands"):
        open_scene(None, [], expand_series([str(tmp_path / "S2_20200101.tif")], "s2"))
    d = tmp_path / "mixed"
    write(d / "S2_20200101.tif")
    write(d / "S2_20200102.tif", bands=12)
    with pytest.raises(InputError, match="S2_20200102.tif"):
        open_scene(None, [], expand_series([str(d)], "s2"))


def test_layers_that_do_not_overlap_are_named(tmp_path: Path) -> None:
    s2 = write(tmp_path / "S2_20200101.tif")
    far = write(tmp_path / "S1_20200101.tif", bands=2, dtype="float32", value=-10, origin=(600000, 5900000))
    with pytest.raises(InputError, match="S1_20200101.tif"):
        open_scene(None, expand_series([str(far)], "s1"), expand_series([str(s2)], "s2"))
    with pytest.raises(InputError, match="does not overlap the extent"):
        open_scene(None, [], expand_series([str(s2)], "s2"), extent=(0, 0, 10, 10), extent_crs="EPSG:32632")


def test_extent_in_another_crs_and_geographic_grid_crs(tmp_path: Path) -> None:
    s2 = write(tmp_path / "S2_20200101.tif", size=30)
    scene = open_scene(None, [], expand_series([str(s2)], "s2"), extent=(9.0008, 52.3481, 9.0036, 52.3498),
                       extent_crs="EPSG:4326")
    assert scene.grid.n_cols > 0 and (scene.grid.xmax - scene.grid.xmin) % 10 == 0
    geo = write(tmp_path / "geo" / "S2_20200102.tif", crs="EPSG:4326", origin=(9.0, 52.0))
    with pytest.raises(InputError, match="geographic"):
        open_scene(None, [], expand_series([str(geo)], "s2"))


def test_nan_values_are_invalid_observations_not_crashes(tmp_path: Path) -> None:
    good = write(tmp_path / "S1_20200101.tif", bands=2, dtype="float32", value=-12.0)
    nan = write(tmp_path / "S1_20200113.tif", bands=2, dtype="float32", nan=True)
    scene = open_scene(None, expand_series([str(good), str(nan)], "s1"), [])
    scene.norm = scene.compute_norm()
    batch = scene.read_batch(scene.tiles()[:1])
    assert batch["s1_mask"][0, 0].all() and not batch["s1_mask"][0, 1].any()
    assert np.isfinite(batch["s1"]).all()
    only_nan = write(tmp_path / "only" / "S1_20200101.tif", bands=2, dtype="float32", nan=True)
    scene = open_scene(None, expand_series([str(only_nan)], "s1"), [])
    with pytest.raises(InputError, match="no valid value"):
        scene.compute_norm()
