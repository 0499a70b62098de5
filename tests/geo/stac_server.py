"""A static STAC catalogue of COGs on a loopback HTTP server, as Earth Search serves one, for tests without internet.

It answers byte-range requests (206), counts every request and byte per path, can fail the first request of a
path with 503 (GDAL must retry it), refuses paths under /expired/ and /signed/ without `?sig=ok` with 403 (an
expired or missing signature), and serves a minimal STAC API: a landing page with the item-search conformance
class and /search (GET and POST) filtering the items by collection, bbox and datetime.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

CONFORMS = ["https://api.stacspec.org/v1.0.0/core", "https://api.stacspec.org/v1.0.0/item-search"]


class StacServer:
    """Serves `root` on 127.0.0.1; `items` are the item dicts the search endpoint filters."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[dict] = []
        self.requests: Counter = Counter()
        self.bytes: Counter = Counter()
        self.statuses: list[tuple[str, int]] = []
        self.fail_once: set[str] = set()
        self.page_size: int | None = None    # paginate /search with POST `next` links carrying {"page": k}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def do_GET(self) -> None:
                self._serve(head=False)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)) or 0)
                server.requests["POST " + urlsplit(self.path).path] += 1
                if urlsplit(self.path).path == "/search":
                    return self._json(server.search(json.loads(body or b"{}")))
                self._status(404)

            def _status(self, code: int) -> None:
                server.statuses.append((urlsplit(self.path).path, code))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _json(self, data: dict) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _serve(self, head: bool) -> None:
                url = urlsplit(self.path)
                path, query = url.path, parse_qs(url.query)
                server.requests[path] += 1
                if path == "/":
                    return self._json(server.landing())
                if path == "/search":
                    q = {k: v[0] for k, v in query.items()}
                    return self._json(server.search(q))
                if path in server.fail_once:
                    server.fail_once.discard(path)
                    return self._status(503)
                if path.startswith("/expired/") or (path.startswith("/signed/") and query.get("sig") != ["ok"]):
                    return self._status(403)
                file = (server.root / path.removeprefix("/signed").lstrip("/")).resolve()
                if not file.is_relative_to(server.root.resolve()) or not file.is_file():
                    return self._status(404)
                data = file.read_bytes()
                rng = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if rng:
                    start = int(rng.group(1))
                    end = min(int(rng.group(2)) if rng.group(2) else len(data) - 1, len(data) - 1)
                    part = data[start:end + 1]
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                else:
                    part = data
                    self.send_response(200)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(part)))
                self.end_headers()
                if not head:
                    self.wfile.write(part)
                    server.bytes[path] += len(part)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StacServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def landing(self) -> dict:
        return {"type": "Catalog", "id": "loopback", "stac_version": "1.0.0", "description": "test catalogue",
                "conformsTo": CONFORMS,
                "links": [{"rel": "self", "href": self.url + "/", "type": "application/json"},
                          {"rel": "root", "href": self.url + "/", "type": "application/json"},
                          {"rel": "search", "href": self.url + "/search", "type": "application/geo+json",
                           "method": "GET"},
                          {"rel": "search", "href": self.url + "/search", "type": "application/geo+json",
                           "method": "POST"}]}

    def search(self, q: dict) -> dict:
        collections = q.get("collections")
        if isinstance(collections, str):
            collections = collections.split(",")
        bbox = q.get("bbox")
        if isinstance(bbox, str):
            bbox = [float(v) for v in bbox.split(",")]
        start, _, end = (q.get("datetime") or "..").partition("/")
        out = []
        for item in self.items:
            if collections and item.get("collection") not in collections:
                continue
            b = item["bbox"]
            if bbox and (b[0] > bbox[2] or b[2] < bbox[0] or b[1] > bbox[3] or b[3] < bbox[1]):
                continue
            day = item["properties"]["datetime"][:10]
            if (start not in ("", "..") and day < start[:10]) or (end not in ("", "..") and day > end[:10]):
                continue
            out.append(item)
        links = []
        if self.page_size:
            page = int(q.get("page", 0))
            if (page + 1) * self.page_size < len(out):
                links.append({"rel": "next", "href": self.url + "/search", "method": "POST", "merge": True,
                              "body": {"page": page + 1}})
            out = out[page * self.page_size:(page + 1) * self.page_size]
        return {"type": "FeatureCollection", "features": out, "links": links}
