"""Sentinel-1/2 found through a STAC API and read as Cloud-Optimised GeoTIFFs, window by window, from their URLs.

`search` asks a STAC API (Earth Search, Planetary Computer, Copernicus Data Space) with pystac-client for the items
over an extent and a date range, filtered by cloud cover, and returns one row per item for the user to check.
A series may then name items by URL (or a local item JSON); each item resolves like a product does
(runner/geo/forms.py): a VRT of the registry's bands pointing at the assets through /vsicurl/, with the scale and
offset the item declares (`raster:bands`, else the baseline's BOA offset), its SCL asset as the mask. The scene
opener then swaps the remote sources for cached chunks of the extent (runner/geo/remote_cache.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from runner import modalities
from runner.errors import InputError
from runner.geo.dated_raster import DatedRaster
from runner.geo.remote_cache import REMOTE_PREFIX, cache_root, unsigned
from runner.geo.vrt import BandSource, build_vrt

EARTH_SEARCH = "https://earth-search.aws.element84.com/v1"
COLLECTIONS = {"s2": "sentinel-2-l2a", "s1": "sentinel-1-grd"}


def is_url(path: str) -> bool:
    return path.startswith(("http://", "https://"))


def is_stac_item(path: str) -> bool:
    """An item by URL, or a local JSON file holding a STAC item."""
    if is_url(path):
        return True
    if path.lower().endswith(".json") and os.path.isfile(path):
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and data.get("type") == "Feature" and "stac_version" in data
    return False


def read_item(href: str) -> Any:
    """The pystac Item at `href`; items fetched over HTTP are kept in the cache (an item does not change)."""
    import pystac

    if not is_url(href):
        return pystac.Item.from_file(href)
    cached = cache_root() / "items" / (hashlib.sha256(unsigned(href).encode()).hexdigest()[:24] + ".json")
    if cached.exists():
        return pystac.Item.from_dict(json.loads(cached.read_text()), href=href)
    try:
        item = pystac.Item.from_file(href)
    except Exception as err:  # urllib's and pystac's errors: one line naming the URL
        raise InputError(f"cannot read the STAC item {unsigned(href)} ({str(err).splitlines()[0][:200]})") from None
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(item.to_dict()))
    os.replace(tmp, cached)
    return item


def _asset_band(key: str, asset: Any, modality: str) -> str | None:
    wanted = set(modalities.band_names(modality))
    if modality == "s2":
        wanted.add(str(modalities.get("s2").extra["scl_band"]))
    if asset.media_type and "tiff" not in asset.media_type.lower():
        return None
    names = [key] + [b.get("name", "") for b in asset.extra_fields.get("eo:bands", [])]
    names += [b.get("common_name", "") for b in asset.extra_fields.get("eo:bands", []) if modality == "s2"]
    for n in names:
        band = modalities.canonical_band(n, modality) if n else None
        if band in wanted:
            return band
    return None


def _scale_offset(asset: Any, item: Any) -> tuple[float, float]:
    """(ratio, offset) taking the asset's values to reflectance ×10000: the item's `raster:bands` scale and offset
    (in reflectance), else the L2A baseline's BOA_ADD_OFFSET of −1000 since 04.00 unless the catalogue says it
    applied it already."""
    target = float(modalities.get("s2").extra["scale"])
    rb = (asset.extra_fields.get("raster:bands") or [{}])[0]
    if "scale" in rb or "offset" in rb:
        scale, offset = float(rb.get("scale", 1.0)), float(rb.get("offset", 0.0))
        if scale < 0.01:  # declared in reflectance: take it to ×10000
            return scale * target, offset * target
        return scale, offset
    props = item.properties
    if props.get("earthsearch:boa_offset_applied"):
        return 1.0, 0.0
    baseline = str(props.get("s2:processing_baseline") or "")
    return (1.0, -1000.0) if baseline >= "04.00" else (1.0, 0.0)


def item_raster(href: str, modality: str) -> DatedRaster:
    """One STAC item → one date: a VRT of the registry's bands on the assets' URLs (and the SCL as the mask)."""
    item = read_item(href)
    title = modalities.get(modality).title
    stamp = item.datetime or item.common_metadata.start_datetime
    if stamp is None:
        raise InputError(f"STAC item {item.id} ({unsigned(href)}) has no datetime")
    assets: dict[str, Any] = {}
    for key, asset in item.assets.items():
        band = _asset_band(key, asset, modality)
        if band and band not in assets:
            assets[band] = asset
    names = modalities.band_names(modality)
    missing = [b for b in names if b not in assets]
    if missing:
        raise InputError(f"STAC item {item.id} ({unsigned(href)}) has no {title} asset for band "
                         f"{', '.join(missing)}")

    def path(asset: Any) -> str:
        target = asset.get_absolute_href() or asset.href
        return REMOTE_PREFIX + target if is_url(target) else target

    sources = []
    for b in names:
        ratio, offset = _scale_offset(assets[b], item) if modality == "s2" else (1.0, 0.0)
        nodata = (assets[b].extra_fields.get("raster:bands") or [{}])[0].get("nodata", 0 if modality == "s2" else None)
        sources.append(BandSource(path(assets[b]), 1, b, scale=ratio, offset=offset, nodata=nodata))
    vrt = build_vrt(sources, f"stac_{item.id}", f"STAC item {item.id}",
                    tags={"ACQUISITION_DATETIME": stamp.isoformat(), "PRODUCT_ID": item.id})
    scl = assets.get(str(modalities.get("s2").extra["scl_band"])) if modality == "s2" else None
    mask = build_vrt([BandSource(path(scl), 1, "SCL")], f"stac_{item.id}_SCL", f"STAC item {item.id}") \
        if scl is not None else None
    detail = [f"from {item.collection_id or 'a STAC catalogue'}"] + (["SCL as cloud mask"] if mask else [])
    return DatedRaster(vrt, stamp.date(), mask=mask, form="STAC item", detail=tuple(detail), source=href,
                       tile=mgrs_tile(item.properties))


def mgrs_tile(props: dict[str, Any]) -> str | None:
    """The Sentinel-2 grid tile an item says it belongs to (Planetary Computer's `s2:mgrs_tile`, Earth Search's
    `mgrs:*` or older `sentinel:*` fields), or None."""
    if props.get("s2:mgrs_tile"):
        return str(props["s2:mgrs_tile"]).upper().removeprefix("T")
    for prefix in ("mgrs:", "sentinel:"):
        parts = [props.get(prefix + k) for k in ("utm_zone", "latitude_band", "grid_square")]
        if all(p is not None for p in parts):
            return f"{int(parts[0]):02d}{parts[1]}{parts[2]}".upper()
    return None


def search(api_url: str, bbox: tuple[float, float, float, float], start: dt.date, end: dt.date,
           modality: str = "s2", collection: str | None = None, max_cloud: float | None = None,
           max_items: int = 500) -> list[dict[str, Any]]:
    """Items over `bbox` (longitude/latitude) between `start` and `end`, sorted by date: id, date, cloud cover and
    the item's URL (what a series names). An unreachable API or a refused search is one line naming the URL."""
    from pystac_client import Client
    from pystac_client.exceptions import APIError
    from pystac_client.stac_api_io import StacApiIO

    collection = collection or COLLECTIONS[modality]
    try:
        client = Client.open(api_url, stac_io=StacApiIO(timeout=30, max_retries=2))
        found = client.search(collections=[collection], bbox=list(bbox), datetime=f"{start}/{end}",
                              max_items=max_items, limit=min(max_items, 100))
        items = list(found.items())
    except (APIError, OSError, ValueError) as err:
        raise InputError(f"STAC API {api_url} cannot be searched ({str(err).splitlines()[0][:200]})") from None
    except Exception as err:  # requests' connection errors and pystac-client's own
        raise InputError(f"STAC API {api_url} cannot be reached ({type(err).__name__}: "
                         f"{str(err).splitlines()[0][:200]})") from None
    rows = []
    for item in items:
        cloud = item.properties.get("eo:cloud_cover")
        if max_cloud is not None and cloud is not None and float(cloud) > max_cloud:
            continue
        self_link = item.get_self_href() or next((lk.href for lk in item.links if lk.rel == "self"), None)
        rows.append({"id": item.id, "date": (item.datetime or item.common_metadata.start_datetime).date().isoformat(),
                     "cloud_cover": cloud, "collection": item.collection_id, "href": self_link})
    return sorted(rows, key=lambda r: (r["date"], r["id"]))
