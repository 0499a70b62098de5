"""STAC item search from QGIS: a plain STAC API `/search` POST through QGIS's network stack.

Why not pystac-client: the plugin imports only what a stock QGIS Python has. Why QGIS's network stack rather than
urllib: it honours the user's proxy and authentication settings, as every other QGIS download does. The request is
blocking, so call `search` from a QgsTask, never on the main thread. The rows it returns (one per item: date, cloud
cover, item URL) go into the S2/S1 tables as dates; the runner then reads the items' COG windows itself
(runner/geo/stac.py).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from qgis.core import QgsBlockingNetworkRequest, QgsFeedback
from qgis.PyQt.QtCore import QByteArray, QUrl
from qgis.PyQt.QtNetwork import QNetworkRequest

EARTH_SEARCH = "https://earth-search.aws.element84.com/v1"
COLLECTIONS = {"s2": "sentinel-2-l2a", "s1": "sentinel-1-grd"}


class StacSearchError(Exception):
    """One line naming the API URL and what went wrong."""


@dataclass(frozen=True)
class StacRow:
    """One item found: what the S2/S1 table shows and what the runner is given."""

    item_id: str
    date: dt.date
    cloud_cover: float | None
    href: str


def search_body(bbox: tuple[float, float, float, float], start: dt.date, end: dt.date, collection: str,
                limit: int) -> dict[str, Any]:
    """The STAC API item-search body (bbox in longitude/latitude, inclusive dates)."""
    return {"collections": [collection], "bbox": [float(v) for v in bbox],
            "datetime": f"{start.isoformat()}T00:00:00Z/{end.isoformat()}T23:59:59Z", "limit": int(limit)}


def _fetch(url: str, body: dict[str, Any] | None, feedback: QgsFeedback | None) -> dict[str, Any]:
    """POST `body` to `url` (GET when None, as a `next` link may ask) and parse the item collection."""
    request = QNetworkRequest(QUrl(url))
    request.setRawHeader(b"Accept", b"application/geo+json, application/json")
    blocking = QgsBlockingNetworkRequest()
    if body is None:
        code = blocking.get(request, True, feedback)
    else:
        request.setHeader(QNetworkRequest.KnownHeaders.ContentTypeHeader, "application/json")
        code = blocking.post(request, QByteArray(json.dumps(body).encode()), True, feedback)
    if code != QgsBlockingNetworkRequest.ErrorCode.NoError:
        raise StacSearchError(f"STAC API {url} cannot be searched ({blocking.errorMessage().splitlines()[0][:200]})")
    raw = bytes(blocking.reply().content())
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise StacSearchError(f"STAC API {url} did not answer with JSON (is it a STAC API search endpoint?)") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise StacSearchError(f"STAC API {url} did not answer with an item collection")
    return data


def parse_items(collection: dict[str, Any], max_cloud: float | None) -> list[StacRow]:
    """Rows of an item collection, items cloudier than `max_cloud` percent left out."""
    rows = []
    for item in collection.get("features", []):
        props = item.get("properties", {})
        stamp = props.get("datetime") or props.get("start_datetime")
        if not stamp:
            continue
        cloud = props.get("eo:cloud_cover")
        if max_cloud is not None and cloud is not None and float(cloud) > max_cloud:
            continue
        href = next((lk["href"] for lk in item.get("links", []) if lk.get("rel") == "self"), None)
        if href:
            rows.append(StacRow(item.get("id", ""), dt.date.fromisoformat(stamp[:10]),
                                None if cloud is None else float(cloud), href))
    return rows


def search(api_url: str, bbox: tuple[float, float, float, float], start: dt.date, end: dt.date,
           modality: str = "s2", max_cloud: float | None = None, max_items: int = 500,
           feedback: QgsFeedback | None = None) -> list[StacRow]:
    """Items over `bbox` between `start` and `end`, sorted by date, following `next` links up to `max_items`.
    Blocking: run it in a QgsTask."""
    url = api_url.rstrip("/") + "/search"
    body: dict[str, Any] | None = search_body(bbox, start, end, COLLECTIONS[modality], min(max_items, 100))
    rows: list[StacRow] = []
    for _ in range(100):  # pages
        page = _fetch(url, body, feedback)
        rows += parse_items(page, max_cloud)
        nxt = next((lk for lk in page.get("links", []) if lk.get("rel") == "next"), None)
        if nxt is None or len(rows) >= max_items or (feedback is not None and feedback.isCanceled()):
            break
        url = nxt["href"]
        if str(nxt.get("method", "GET")).upper() == "GET":
            body = None           # the link carries the query (a page token)
        else:
            body = {**(body or {}), **nxt.get("body", {})} if nxt.get("merge", False) else nxt.get("body", body)
    return sorted(rows, key=lambda r: (r.date, r.item_id))[:max_items]
