"""Imagery in the forms users receive it reads as the same pixels as one GeoTIFF per date (issue 21).

Every form is built by tests/geo/imagery_forms.py from the synthetic scene's pixels; the scene reader's batches
(before normalisation, so nothing is hidden by scaling) must equal those of the per-date reference. The end-to-end
classification of the same forms is in tests/ops/test_imagery_forms_map.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runner import modalities
from runner.errors import InputError
from runner.geo import expand_series, open_scene
from tests.geo.imagery_forms import build_forms, write_safe, write_tif


@pytest.fixture(scope="module")
def forms(tmp_path_factory, small_scene: Path) -> dict:
    return build_forms(small_scene, tmp_path_factory.mktemp("forms"))


def _paths(items) -> list[str]:
    return [str(p) for p in (items if isinstance(items, list) else [items])]


def _batch(aerial, s1, s2, masks=None) -> tuple[dict, list[str]]:
    scene = open_scene(aerial, expand_series(_paths(s1), "s1") if s1 else [],
                       expand_series(_paths(s2), "s2") if s2 else [],
                       s2_masks=expand_series(_paths(masks), "s2_mask") if masks else None, aerial_px=10)
    try:
        return scene.read_batch(scene.tiles(), normalise=False), scene.notices
    finally:
        scene.close()


def _same(ref: dict, got: dict, keys: tuple[str, ...]) -> None:
    for k in keys:
        assert ref[k].shape == got[k].shape, k
        if k == "s1":  # GDAL's dB pixel function rounds in double, numpy in float32: one ulp apart
            np.testing.assert_allclose(got[k], ref[k], rtol=0, atol=1e-5, err_msg=k)
        else:
            np.testing.assert_array_equal(got[k], ref[k], err_msg=k)


def test_s2_products_mixed_baselines_s1_per_band_and_aerial_parts_read_as_per_date_geotiffs(forms) -> None:
    """SAFE folders (baseline 05.09, offset −1000) and zips (03.01, no offset) in one series give the reference's
    reflectances; their SCL is the cloud mask without being asked for; VV/VH files tagged linear are read in dB;
    natural-colour + colour-infrared products give the 4-band aerial."""
    ref, _ = _batch(str(forms["ref_aerial"]), forms["ref_s1"], forms["ref_s2"], forms["scl"])
    got, notices = _batch(_paths(forms["aerial_parts"]), forms["s1_bands"], forms["safe"])
    assert ref["s2_mask"].sum() < ref["s2_mask"].size  # the SCL clouds mask something: the masks are compared
    _same(ref, got, ("aerial", "s1", "s1_mask", "s1_doy", "s2", "s2_mask", "s2_doy", "s2_days"))
    s2_line = next(n for n in notices if "Sentinel-2 L2A products" in n)
    assert s2_line.startswith("read 6 Sentinel-2 L2A products, 10 bands at 10 m")
    assert "SCL as cloud mask" in s2_line and "baseline 05.09 offsets applied (3 of 6)" in s2_line
    assert any("power converted to dB" in n for n in notices)
    assert any(n.startswith("aerial combined from 2 files: R, G, B from ORTHO_RVB_0M50.tif; NIR from ORTHO_IRC")
               for n in notices)


@pytest.mark.parametrize("s2_form", ["browser", "stack"])
def test_per_band_downloads_and_stacks_read_as_per_date_geotiffs(forms, s2_form: str) -> None:
    ref, _ = _batch(None, forms["ref_s1"], forms["ref_s2"])
    got, notices = _batch(None, forms["s1_stack"], forms[s2_form])
    _same(ref, got, ("s1", "s1_mask", "s1_doy", "s2", "s2_mask", "s2_doy"))
    assert any(n.startswith("read 6 Sentinel-1 dates from 1 multi-date stack(s)") for n in notices)
    assert any(n.startswith("read 6 dates of per-band Sentinel-2 files" if s2_form == "browser"
                            else "read 6 Sentinel-2 dates from 1 multi-date stack(s)") for n in notices)


def test_a_one_date_export_with_dated_band_names_is_put_in_band_order(forms, tmp_path: Path) -> None:
    import rasterio

    with rasterio.open(forms["ref_s2"][0]) as src:
        ref, t, crs = src.read(), src.transform, src.crs.to_string()
    order = [9, 0, 5, 1, 8, 2, 7, 3, 6, 4]               # bands shuffled, each named `20210106_B…`
    names = [f"20210106_{modalities.band_names('s2')[i]}" for i in order]
    path = write_tif(tmp_path / "export.tif", ref[order], t, crs, names, nodata=0)
    (one,) = expand_series([str(path)], "s2", dates=["2021-01-07"])
    assert one.date.isoformat() == "2021-01-07" and one.form == "multi-date stack"
    with rasterio.open(one.path) as src:
        np.testing.assert_array_equal(src.read(), ref.astype(np.float32))


def test_a_folder_of_products_is_found(forms) -> None:
    folder = Path(forms["safe"][0]).parent
    series = expand_series([str(folder)], "s2")
    assert [r.form for r in series] == ["Sentinel-2 L2A product"] * 6 and all(r.mask for r in series)
    assert [r.date for r in series] == sorted(r.date for r in series)


def test_a_qgis_layer_of_a_product_subdataset_reads_the_product(forms) -> None:
    """QGIS opens a .SAFE through GDAL's SENTINEL2 driver: the layer's source names a subdataset of the product."""
    folder, zipped = Path(forms["safe"][0]), Path(forms["safe"][1])
    layers = [f"SENTINEL2_L2A:{folder}/MTD_MSIL2A.xml:10m:EPSG_32632",
              f"SENTINEL2_L2A:/vsizip/{zipped}/{zipped.stem}/MTD_MSIL2A.xml:20m:EPSG_32632"]
    series = expand_series(layers, "s2")
    assert [r.source for r in series] == [str(folder), str(zipped)]
    assert all(r.form == "Sentinel-2 L2A product" and r.mask for r in series)


def test_a_product_without_a_band_is_one_line_naming_it_and_the_band(forms, tmp_path: Path) -> None:
    import rasterio

    with rasterio.open(forms["ref_s2"][0]) as src:
        ref, t, crs = src.read(), src.transform, src.crs.to_string()
    import datetime as dt

    bad = write_safe(tmp_path, dt.date(2021, 3, 1), ref, None, t, crs, drop=("B5",))
    with pytest.raises(InputError) as err:
        expand_series([str(bad)], "s2")
    msg = str(err.value)
    assert "\n" not in msg and bad.name in msg and "no band B5" in msg and "B05_20m.jp2" in msg


def test_products_of_two_tiles_in_one_series_are_refused(forms, tmp_path: Path) -> None:
    import datetime as dt

    import rasterio

    with rasterio.open(forms["ref_s2"][0]) as src:
        ref, t, crs = src.read(), src.transform, src.crs.to_string()
    a = write_safe(tmp_path, dt.date(2021, 3, 1), ref, None, t, crs, tile="32ULU")
    b = write_safe(tmp_path, dt.date(2021, 3, 11), ref, None, t, crs, tile="31UFU")
    with pytest.raises(InputError) as err:
        expand_series([str(a), str(b)], "s2")
    assert "\n" not in str(err.value) and a.name in str(err.value) and b.name in str(err.value)


def test_per_band_files_of_one_date_in_two_crss_are_refused(forms, tmp_path: Path) -> None:
    import shutil

    files = [Path(p) for p in forms["browser"][:10]]
    for f in files:
        shutil.copy(f, tmp_path / f.name)
    moved = tmp_path / files[3].name
    import rasterio

    with rasterio.open(moved) as src:
        data, t = src.read(), src.transform
    write_tif(moved, data, t, "EPSG:32631", nodata=0)
    with pytest.raises(InputError) as err:
        open_scene(None, [], expand_series([str(tmp_path)], "s2"))
    assert "\n" not in str(err.value) and "CRS" in str(err.value) and files[3].name in str(err.value)


def test_a_date_missing_a_band_among_per_band_files_is_named(forms, tmp_path: Path) -> None:
    import shutil

    for f in forms["browser"][:10]:
        if "_B07_" not in Path(f).name:
            shutil.copy(f, tmp_path / Path(f).name)
    with pytest.raises(InputError, match=r"lack band B7$"):
        expand_series([str(tmp_path)], "s2")


def test_a_four_band_aerial_without_names_or_colours_is_refused_not_guessed(small_scene: Path, tmp_path: Path) -> None:
    import rasterio

    with rasterio.open(small_scene / "aerial.tif") as src:
        data, t, crs = src.read(), src.transform, src.crs.to_string()
    # 4 bands, no descriptions, no colour interpretation (gray, undefined ×3): a CIR sheet would look the same
    plain = write_tif(tmp_path / "sheet.tif", data, t, crs, photometric="MINISBLACK")
    s2 = expand_series([str(small_scene / "s2")], "s2")[:1]
    with pytest.raises(InputError) as err:
        open_scene(str(plain), [], s2, aerial_px=10)
    msg = str(err.value)
    assert "\n" not in msg and "sheet.tif" in msg and "band order" in msg and "BAND_ORDER" in msg
    tagged = write_tif(tmp_path / "cir.tif", data[[3, 1, 2, 0]], t, crs, tags={"BAND_ORDER": "NIR,G,B,R"},
                       photometric="MINISBLACK")
    scene = open_scene(str(tagged), [], s2, aerial_px=10)
    try:
        assert scene.bands["aerial"] == ["R", "G", "B", "NIR"] and scene._layers["aerial"][0].indexes == [4, 2, 3, 1]
    finally:
        scene.close()


def test_the_cli_exits_2_with_one_line_for_a_product_without_a_band(forms, tmp_path: Path, capsys) -> None:
    import datetime as dt

    import rasterio

    from runner.cli import main

    with rasterio.open(forms["ref_s2"][0]) as src:
        ref, t, crs = src.read(), src.transform, src.crs.to_string()
    folder = tmp_path / "products"
    write_safe(folder, dt.date(2021, 3, 1), ref, None, t, crs)
    bad = write_safe(folder, dt.date(2021, 3, 11), ref, None, t, crs, as_zip=True, drop=("B12",))
    code = main(["classify", "--home", str(tmp_path / "home"), "--model", "m", "--s2", str(folder),
                 "--out", str(tmp_path / "map.tif")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and bad.name in err and "no band B12" in err


def test_aerial_sheets_of_three_products_mosaic_into_one_five_band_aerial(small_scene: Path, tmp_path: Path) -> None:
    """Natural colour and colour infrared each in two sheets (west, east) and a 1 m DSM in one file read as the
    5-band R, G, B, NIR, elevation file made from the same pixels (the DSM repeated onto the 0.5 m grid)."""
    import rasterio
    from affine import Affine
    from rasterio.enums import ColorInterp as CI

    with rasterio.open(small_scene / "aerial.tif") as src:
        a, t, crs = src.read(), src.transform, src.crs.to_string()
    h, w = a.shape[1] // 2 * 2, a.shape[2] // 2 * 2
    a = a[:, :h, :w]
    dsm = np.random.default_rng(3).normal(20, 5, (h // 2, w // 2)).astype(np.float32)
    ref = np.concatenate([a.astype(np.float32), np.repeat(np.repeat(dsm, 2, 0), 2, 1)[None]])
    ref_path = write_tif(tmp_path / "ref.tif", ref, t, crs, ["R", "G", "B", "NIR", "DSM"])
    half = w // 2
    east = Affine(t.a, 0, t.c + half * t.a, 0, t.e, t.f)
    rgb = CI.red, CI.green, CI.blue
    parts = [write_tif(tmp_path / "rvb" / "RVB_W.tif", a[:3, :, :half], t, crs, colorinterp=rgb),
             write_tif(tmp_path / "rvb" / "RVB_E.tif", a[:3, :, half:], east, crs, colorinterp=rgb),
             write_tif(tmp_path / "irc" / "IRC_W.tif", a[[3, 0, 1], :, :half], t, crs, colorinterp=rgb),
             write_tif(tmp_path / "irc" / "IRC_E.tif", a[[3, 0, 1], :, half:], east, crs, colorinterp=rgb),
             write_tif(tmp_path / "MNS_1m.tif", dsm, Affine(t.a * 2, 0, t.c, 0, t.e * 2, t.f), crs)]
    s2 = expand_series([str(small_scene / "s2")], "s2")[:1]
    batches = {}
    for name, aerial in (("ref", str(ref_path)), ("parts", [str(p) for p in parts])):
        scene = open_scene(aerial, [], s2, aerial_px=10)
        try:
            batches[name] = scene.read_batch(scene.tiles(), normalise=False)["aerial"], scene.bands["aerial"]
            notices = scene.notices
        finally:
            scene.close()
    assert batches["parts"][1] == batches["ref"][1] == ["R", "G", "B", "NIR", "ELEVATION"]
    np.testing.assert_array_equal(batches["parts"][0], batches["ref"][0])
    assert any("R, G, B from RVB_W.tif (+1 sheets); NIR from IRC_W.tif (+1 sheets); ELEVATION from MNS_1m.tif" in n
               for n in notices)


def test_a_band_order_saved_beside_the_file_is_used(small_scene: Path, tmp_path: Path) -> None:
    """What a band-role picker saves: BAND_ORDER in the file's .aux.xml (GDAL's side-car metadata), the file
    itself untouched."""
    import rasterio

    with rasterio.open(small_scene / "aerial.tif") as src:
        data, t, crs = src.read(), src.transform, src.crs.to_string()
    sheet = write_tif(tmp_path / "sheet.tif", data[[3, 0, 1, 2]], t, crs, photometric="MINISBLACK")
    Path(str(sheet) + ".aux.xml").write_text(
        '<PAMDataset><Metadata><MDI key="BAND_ORDER">NIR,R,G,B</MDI></Metadata></PAMDataset>\n')
    s2 = expand_series([str(small_scene / "s2")], "s2")[:1]
    scene = open_scene(str(sheet), [], s2, aerial_px=10)
    try:
        assert scene._layers["aerial"][0].indexes == [2, 3, 4, 1]
    finally:
        scene.close()
