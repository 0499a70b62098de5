"""Reading speed from a STAC catalogue of COGs on a loopback HTTP server against the same COGs from disk.

A static catalogue (tests/geo/stac_server.py: byte ranges, as Earth Search serves) of `DATES` Sentinel-2 items,
10 bands + SCL as COGs of a 10.24 km tile; a 2 km × 2 km extent is opened and every tile read (no model), three
ways: items by URL with an empty cache (every needed COG block fetched once), the same again with the cache filled
(a second job), and items whose hrefs are the local files (the same COGs from disk). Loopback has no network
latency: the cold figure is the pipeline's own overhead of fetching and caching, a floor for a real network.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

DATES = int(os.environ.get("OMNISAT_BENCH_STAC_DATES", "12"))
SIZE = 1024                      # 10 m pixels per side of the tile; COG blocks of 512
EXTENT_M = 2000.0


def _catalogue(root: Path, url: str, server) -> tuple[list[str], list[str]]:
    import rasterio
    from affine import Affine
    from rasterio.warp import transform_bounds

    from runner import modalities

    s2 = modalities.get("s2")
    crs, x0, y0 = "EPSG:32632", 500000.0, 5800000.0
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    remote, local = [], []
    lon_lat = transform_bounds(crs, "EPSG:4326", x0, y0 - SIZE * 10, x0 + SIZE * 10, y0)
    for k in range(DATES):
        date = dt.date(2021, 3, 1) + dt.timedelta(days=10 * k)
        item_id = f"S2_BENCH_{date:%Y%m%d}"
        hrefs = {}
        for i, b in enumerate([*s2.band_names, "SCL"]):
            res = s2.band(b).resolution_m if b != "SCL" else 20
            n = SIZE * 10 // int(res)
            if b == "SCL":
                data = np.full((n, n), 4, np.uint8)
            else:
                field = 2000 + 800 * np.sin(xx[:n, :n] / (37 + i)) * np.cos(yy[:n, :n] / (53 + k))
                data = (field + rng.normal(0, 60, (n, n))).clip(1, 10000).astype(np.uint16)
            path = root / "cogs" / item_id / f"{b}.tif"
            path.parent.mkdir(parents=True, exist_ok=True)
            with rasterio.open(path, "w", driver="COG", width=n, height=n, count=1, dtype=data.dtype, crs=crs,
                               transform=Affine(res, 0, x0, 0, -res, y0), nodata=0, BLOCKSIZE=512,
                               COMPRESS="DEFLATE", OVERVIEWS="NONE") as dst:
                dst.write(data, 1)
            hrefs["scl" if b == "SCL" else b] = f"cogs/{item_id}/{b}.tif"
        for where, base, out in (("remote", url + "/", remote), ("local", str(root) + "/", local)):
            item = {"type": "Feature", "stac_version": "1.0.0", "id": item_id, "collection": "sentinel-2-l2a",
                    "bbox": list(lon_lat), "geometry": None, "links": [],
                    "properties": {"datetime": f"{date}T10:30:00Z", "s2:processing_baseline": "03.01"},
                    "assets": {key: {"href": base + h, "type": "image/tiff; application=geotiff"}
                               for key, h in hrefs.items()}}
            path = root / where / f"{item_id}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(item))
            out.append(str(path) if where == "local" else f"{url}/{where}/{item_id}.json")
        server.items.append(item)
    return remote, local


def _read_all(items: list[str]) -> tuple[float, int]:
    from runner.geo import expand_series, open_scene

    t0 = time.perf_counter()
    extent = (500000.0 + 3000, 5800000.0 - 3000 - EXTENT_M, 500000.0 + 3000 + EXTENT_M, 5800000.0 - 3000)
    scene = open_scene(None, [], expand_series(items, "s2"), extent=extent, extent_crs="EPSG:32632")
    try:
        patches = 0
        for batch in scene.iter_batches(scene.tiles(), 16):
            patches += len(batch["tiles"]) * scene.grid.tile_patches ** 2
    finally:
        scene.close()
    return time.perf_counter() - t0, patches


def run() -> dict:
    from tests.geo.stac_server import StacServer

    root = Path(tempfile.mkdtemp(prefix="omnisat-bench-stac-"))
    os.environ["OMNISAT_COG_CACHE"] = str(root / "cache")
    os.environ["OMNISAT_PREFETCH"] = "0"
    try:
        with StacServer(root) as server:
            t0 = time.perf_counter()
            remote, local = _catalogue(root, server.url, server)
            made = time.perf_counter() - t0
            disk_s, patches = _read_all(local)
            server.bytes.clear()
            server.requests.clear()
            cold_s, _ = _read_all(remote)
            cold_mb, cold_requests = sum(server.bytes.values()) / 1e6, sum(server.requests.values())
            server.requests.clear()
            warm_s, _ = _read_all(remote)
            warm_requests = sum(server.requests.values())
        cogs_mb = sum(p.stat().st_size for p in (root / "cogs").rglob("*.tif")) / 1e6
        return {"dates": DATES, "bands": 10, "extent_km": EXTENT_M / 1000, "patches": patches,
                "catalogue_mb": round(cogs_mb, 1), "catalogue_build_s": round(made, 1),
                "disk_s": round(disk_s, 2), "loopback_cold_s": round(cold_s, 2),
                "loopback_warm_s": round(warm_s, 2), "cold_mb_fetched": round(cold_mb, 1),
                "cold_requests": cold_requests, "warm_requests": warm_requests,
                "patches_per_s": {"disk": round(patches / disk_s), "loopback_cold": round(patches / cold_s),
                                  "loopback_warm": round(patches / warm_s)}}
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
