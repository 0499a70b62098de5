"""STAC: search with pystac-client and COG windows read from URLs with a local cache, against a loopback server.

The catalogue (tests/geo/stac_server.py) serves COGs over HTTP with byte ranges, as Earth Search does; nothing here
reaches the internet. The same items with local hrefs are the reference: the same COGs read from disk.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.warp import transform_bounds

from runner import modalities
from runner.errors import InputError
from runner.geo import expand_series, open_scene
from runner.geo.remote_cache import set_signer
from runner.geo.stac import search
from tests.geo.imagery_forms import write_tif
from tests.geo.stac_server import StacServer

CRS = "EPSG:32632"
ORIGIN = (500000.0, 5800000.0)
SIZE = 512                       # 10 m pixels: 2 × 2 COG blocks of 256
EXTENT = (500100.0, 5799700.0, 500400.0, 5799900.0)   # 300 m × 200 m in the north-west block
ASSET_KEYS = ("blue", "green", "red", "rededge1", "rededge2", "rededge3", "nir", "nir08", "swir16", "swir22")
DATES = (dt.date(2021, 5, 1), dt.date(2021, 5, 11), dt.date(2021, 5, 21))


def _cog(path: Path, data: np.ndarray, res: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="COG", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=data.dtype, crs=CRS, transform=Affine(res, 0, ORIGIN[0], 0, -res, ORIGIN[1]), nodata=0,
                       BLOCKSIZE=256, COMPRESS="DEFLATE", OVERVIEWS="NONE") as dst:
        dst.write(data, 1)


def _item(item_id: str, date: dt.date, hrefs: dict[str, str], props: dict, raster_bands: dict | None) -> dict:
    lon_lat = transform_bounds(CRS, "EPSG:4326", ORIGIN[0], ORIGIN[1] - SIZE * 10, ORIGIN[0] + SIZE * 10, ORIGIN[1])
    assets = {}
    for key, href in hrefs.items():
        asset = {"href": href, "type": "image/tiff; application=geotiff; profile=cloud-optimized", "roles": ["data"]}
        if raster_bands is not None and key != "scl":
            asset["raster:bands"] = [{"nodata": 0, "data_type": "uint16", **raster_bands}]
        assets[key] = asset
    return {"type": "Feature", "stac_version": "1.0.0", "id": item_id, "collection": "sentinel-2-l2a",
            "bbox": list(lon_lat), "geometry": {"type": "Polygon", "coordinates": [[
                [lon_lat[0], lon_lat[1]], [lon_lat[2], lon_lat[1]], [lon_lat[2], lon_lat[3]],
                [lon_lat[0], lon_lat[3]], [lon_lat[0], lon_lat[1]]]]},
            "properties": {"datetime": f"{date.isoformat()}T10:36:29Z", **props}, "links": [], "assets": assets}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """Three dates of 10 bands + SCL as COGs, encoded three ways (raster:bands offset, baseline 05.10 without
    raster:bands, baseline 03.01 without offset) over the same reflectances, which the reference GeoTIFFs hold."""
    root = tmp_path_factory.mktemp("stac")
    rng = np.random.default_rng(0)
    s2 = modalities.get("s2")
    with StacServer(root) as server:
        ref_files, local_items, remote_items = [], [], []
        for k, date in enumerate(DATES):
            refl = rng.integers(200, 6000, size=(10, SIZE, SIZE)).astype(np.uint16)
            for i, b in enumerate(s2.band_names):
                if s2.band(b).resolution_m == 20:
                    refl[i] = np.repeat(np.repeat(refl[i, ::2, ::2], 2, 0), 2, 1)
            ref_files.append(write_tif(root / "ref" / f"S2_{date:%Y%m%d}.tif", refl,
                                       Affine(10, 0, ORIGIN[0], 0, -10, ORIGIN[1]), CRS,
                                       list(s2.band_names), nodata=0))
            item_id = f"S2B_32ULU_{date:%Y%m%d}_0_L2A"
            encoding = [({"s2:processing_baseline": "05.09"}, {"scale": 0.0001, "offset": -0.1}, 1000),
                        ({"s2:processing_baseline": "05.10"}, None, 1000),
                        ({"s2:processing_baseline": "03.01"}, None, 0)][k]
            files = {}
            for i, (key, b) in enumerate(zip(ASSET_KEYS, s2.band_names, strict=True)):
                res = s2.band(b).resolution_m
                data = refl[i] if res == 10 else refl[i, ::2, ::2]
                _cog(root / "cogs" / item_id / f"{b}.tif", (data + encoding[2]).astype(np.uint16), res)
                files[key] = f"cogs/{item_id}/{b}.tif"
            scl = np.full((SIZE // 2, SIZE // 2), 4, np.uint8)
            scl[:10, :10] = 9
            _cog(root / "cogs" / item_id / "SCL.tif", scl, 20)
            files["scl"] = f"cogs/{item_id}/SCL.tif"
            props = {**encoding[0], "eo:cloud_cover": [5.0, 20.0, 80.0][k]}
            remote = _item(item_id, date, {k2: f"{server.url}/{v}" for k2, v in files.items()}, props, encoding[1])
            remote["links"] = [{"rel": "self", "href": f"{server.url}/items/{item_id}.json"}]
            (root / "items").mkdir(exist_ok=True)
            (root / "items" / f"{item_id}.json").write_text(json.dumps(remote))
            local = _item(item_id, date, {k2: str(root / v) for k2, v in files.items()}, props, encoding[1])
            (root / "local").mkdir(exist_ok=True)
            (root / "local" / f"{item_id}.json").write_text(json.dumps(local))
            server.items.append(remote)
            remote_items.append(f"{server.url}/items/{item_id}.json")
            local_items.append(str(root / "local" / f"{item_id}.json"))
        yield {"server": server, "root": root, "ref": ref_files, "remote": remote_items, "local": local_items}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("OMNISAT_COG_CACHE", str(tmp_path / "cog-cache"))
    return tmp_path / "cog-cache"


def _read(paths: list[str]) -> tuple[dict, list[str]]:
    scene = open_scene(None, [], expand_series(paths, "s2"), extent=EXTENT, extent_crs=CRS)
    try:
        return scene.read_batch(scene.tiles(), normalise=False), scene.notices
    finally:
        scene.close()


def test_search_finds_the_items_over_the_extent_and_dates_filtered_by_cloud(catalogue) -> None:
    bbox = transform_bounds(CRS, "EPSG:4326", *EXTENT)
    rows = search(catalogue["server"].url + "/", bbox, dt.date(2021, 4, 1), dt.date(2021, 6, 1), max_cloud=50)
    assert [r["date"] for r in rows] == ["2021-05-01", "2021-05-11"]          # the 80 % cloudy date left out
    assert [r["href"] for r in rows] == catalogue["remote"][:2] and rows[0]["cloud_cover"] == 5.0
    late = search(catalogue["server"].url + "/", bbox, dt.date(2021, 5, 15), dt.date(2021, 6, 1))
    assert [r["date"] for r in late] == ["2021-05-21"]


def test_items_read_from_urls_give_the_reference_reading_only_the_windows_needed(catalogue, cache: Path) -> None:
    """Three encodings of the same reflectances (offset in raster:bands, offset from the baseline, none) read as the
    reference GeoTIFFs; only the COG blocks under the extent are fetched; a 503 is retried; the SCL is the mask."""
    server = catalogue["server"]
    server.requests.clear()
    server.bytes.clear()
    flaky = f"/cogs/S2B_32ULU_{DATES[0]:%Y%m%d}_0_L2A/B4.tif"
    server.fail_once.add(flaky)
    ref, _ = _read([str(p) for p in catalogue["ref"]])
    got, notices = _read(catalogue["remote"])
    local, _ = _read(catalogue["local"])
    np.testing.assert_array_equal(got["s2"], ref["s2"])
    np.testing.assert_array_equal(local["s2"], ref["s2"])
    np.testing.assert_array_equal(got["s2_mask"], local["s2_mask"])
    assert not got["s2_mask"].all() and (got["s2_doy"] == ref["s2_doy"]).all()
    assert (flaky, 503) in server.statuses and server.bytes[flaky] > 0
    size = (catalogue["root"] / flaky.lstrip("/")).stat().st_size
    assert 0 < server.bytes[flaky] < size / 2   # one of four blocks (and the header), not the file
    assert any(n.startswith("read 3 Sentinel-2 STAC items") and "SCL as cloud mask" in n for n in notices)


def test_a_second_job_over_the_same_extent_reads_nothing_from_the_server(catalogue, cache: Path) -> None:
    server = catalogue["server"]
    first, _ = _read(catalogue["remote"])
    server.requests.clear()
    again, _ = _read(catalogue["remote"])
    assert sum(server.requests.values()) == 0, dict(server.requests)
    np.testing.assert_array_equal(again["s2"], first["s2"])


def _rewrite(catalogue, tmp_path: Path, prefix: str) -> list[str]:
    """Local copies of the items whose asset URLs sit under `prefix` (/expired/, /signed/) on the server."""
    out = []
    for href in catalogue["remote"][:1]:
        item = json.loads((catalogue["root"] / "items" / Path(href).name).read_text())
        for asset in item["assets"].values():
            asset["href"] = asset["href"].replace(catalogue["server"].url + "/", catalogue["server"].url + prefix)
        (tmp_path / Path(href).name).write_text(json.dumps(item))
        out.append(str(tmp_path / Path(href).name))
    return out


def test_an_expired_url_is_one_line_naming_it(catalogue, cache: Path, tmp_path: Path) -> None:
    items = _rewrite(catalogue, tmp_path, "/expired/")
    with pytest.raises(InputError) as err:
        expand_series(items, "s2")
    msg = str(err.value)
    assert "\n" not in msg and catalogue["server"].url + "/expired/cogs/" in msg and "expired" in msg


def test_a_signer_signs_each_request_and_the_cache_ignores_the_signature(catalogue, cache, tmp_path) -> None:
    items = _rewrite(catalogue, tmp_path, "/signed/")
    with pytest.raises(InputError, match="access refused"):
        expand_series(items, "s2")
    set_signer(lambda url: url + "?sig=ok")
    try:
        scene = open_scene(None, [], expand_series(items, "s2"), extent=EXTENT, extent_crs=CRS)
        scene.close()
    finally:
        set_signer(None)
    from runner.geo.remote_cache import chunk_stats

    b2 = f"{catalogue['server'].url}/signed/cogs/S2B_32ULU_{DATES[0]:%Y%m%d}_0_L2A/B2.tif"
    assert chunk_stats(b2) == 1 and chunk_stats(b2 + "?sig=other") == 1   # one key whatever the signature


def test_an_offline_api_is_one_line_naming_it() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]     # closed when the block ends: nothing listens there
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(InputError) as err:
        search(url, (9.0, 52.0, 9.1, 52.1), dt.date(2021, 1, 1), dt.date(2021, 2, 1))
    assert "\n" not in str(err.value) and url in str(err.value)


def test_items_of_two_tiles_in_one_series_are_refused(catalogue, tmp_path: Path) -> None:
    """As for products: Earth Search's mgrs:* or Planetary Computer's s2:mgrs_tile name the tile."""
    paths = []
    for src, props in zip(catalogue["local"][:2], ({"s2:mgrs_tile": "32ULU"},
                                                   {"mgrs:utm_zone": 31, "mgrs:latitude_band": "U",
                                                    "mgrs:grid_square": "FU"}), strict=True):
        item = json.loads(Path(src).read_text())
        item["properties"].update(props)
        (tmp_path / Path(src).name).write_text(json.dumps(item))
        paths.append(str(tmp_path / Path(src).name))
    with pytest.raises(InputError) as err:
        expand_series(paths, "s2")
    msg = str(err.value)
    assert "\n" not in msg and "(tile 32ULU)" in msg and "(tile 31UFU)" in msg and Path(paths[0]).name in msg
