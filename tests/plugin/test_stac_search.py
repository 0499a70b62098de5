"""The plugin's STAC search through QGIS's network stack, against a loopback STAC API (no internet)."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from tests.geo.stac_server import StacServer


def _item(server: StacServer, k: int, cloud: float) -> dict:
    date = dt.date(2021, 5, 1) + dt.timedelta(days=5 * k)
    item_id = f"S2A_32ULU_{date:%Y%m%d}_0_L2A"
    return {"type": "Feature", "stac_version": "1.0.0", "id": item_id, "collection": "sentinel-2-l2a",
            "bbox": [9.0, 52.0, 10.0, 53.0], "geometry": None, "assets": {},
            "properties": {"datetime": f"{date.isoformat()}T10:30:00Z", "eo:cloud_cover": cloud},
            "links": [{"rel": "self", "href": f"{server.url}/items/{item_id}.json"}]}


def test_search_pages_filters_by_cloud_and_sorts_by_date(qgis_app, tmp_path) -> None:
    from omnisat_qgis.stac_search import search

    with StacServer(tmp_path) as server:
        server.items = [_item(server, k, cloud) for k, cloud in enumerate([10, 90, 30, 5, 60, 0, 20])]
        server.items.append({**_item(server, 9, 0), "collection": "sentinel-1-grd"})
        server.page_size = 3                                     # three pages of POST `next` links
        rows = search(server.url + "/", (9.2, 52.2, 9.4, 52.4), dt.date(2021, 5, 1), dt.date(2021, 5, 31),
                      max_cloud=50)
        assert server.requests["POST /search"] == 3 and server.requests["/search"] == 0   # three POSTed pages
    assert [r.cloud_cover for r in rows] == [10, 30, 5, 0, 20]
    assert [r.date for r in rows] == sorted(r.date for r in rows)
    assert rows[0].href == f"{server.url}/items/S2A_32ULU_20210501_0_L2A.json"


def test_an_unreachable_api_is_one_line_naming_it(qgis_app) -> None:
    from omnisat_qgis.stac_search import StacSearchError, search

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(StacSearchError) as err:
        search(url, (9.0, 52.0, 9.1, 52.1), dt.date(2021, 1, 1), dt.date(2021, 2, 1))
    assert "\n" not in str(err.value) and url + "/search" in str(err.value)
