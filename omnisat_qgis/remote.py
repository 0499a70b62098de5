"""Remote runner support: upload inputs to a runner that cannot read the user's disk, download its results.

A runner on a GPU server says `"path_access": false` in /v1/health. Then each input file of a job spec is
uploaded (streamed from disk in chunks, never read whole into memory), the spec is rewritten with the
runner-side paths, outputs are directed to a folder the runner creates under its home, and after the job the
result files are downloaded next to where the user asked for them. Standard library only (urllib, streaming both
ways), through the proxy QGIS is set to use (tasks.qgis_proxy) unless the URL is excluded; never for loopback.
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omnisat_qgis.client import is_loopback

CHUNK = 1024 * 1024
SINGLE_PATH_KEYS = ("aerial", "labels")
LIST_PATH_KEYS = ("s1", "s2", "s2_masks")
RESULT_FILE_KEYS = ("class_map", "confidence", "qml", "confidence_qml")
_SHAPEFILE_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
Progress = Callable[[str, int, int], None]        # (file name, bytes done, bytes total)


class RemoteError(Exception):
    """An upload/download failed or an input cannot be sent; the message names the file."""


def needs_upload(health: dict[str, Any]) -> bool:
    """True when the runner said it cannot read our paths (older runners without the key can)."""
    return health.get("path_access", True) is False


def sidecars(path: str) -> list[str]:
    """Files that must travel with `path`: a shapefile's .shx/.dbf/.prj..., a raster's .aux.xml and .msk."""
    p = Path(path)
    found = [str(p.with_suffix(ext)) for ext in _SHAPEFILE_SIDECARS] if p.suffix.lower() == ".shp" else []
    found += [str(p) + ".aux.xml", str(p) + ".msk"]
    return [f for f in found if os.path.isfile(f)]


class _CountingReader:
    """A file wrapper http.client reads block by block; reports progress and honours cancel."""

    def __init__(self, f, name: str, total: int, progress: Progress | None, cancelled: Callable[[], bool] | None):
        self.f, self.name, self.total, self.done = f, name, total, 0
        self.progress, self.cancelled = progress, cancelled

    def read(self, size: int = -1) -> bytes:
        if self.cancelled is not None and self.cancelled():
            raise RemoteError(f"upload of {self.name} cancelled")
        block = self.f.read(CHUNK if size is None or size < 0 else min(size, CHUNK))
        self.done += len(block)
        if self.progress is not None:
            self.progress(self.name, self.done, self.total)
        return block


class RemoteFiles:
    """Upload/download against one runner (`base_url` like https://gpu.example.org/omnisat, `token`)."""

    def __init__(self, base_url: str, token: str, timeout: float = 300, context: ssl.SSLContext | None = None,
                 proxy: str | None = None):
        """`proxy`: an http(s):// proxy URL (QGIS's proxy setting, see tasks.qgis_proxy); None: the environment's.
        A runner on this machine is always reached directly."""
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.context = context
        handlers: list = [urllib.request.HTTPSHandler(context=context)] if context is not None else []
        if is_loopback(self.base_url):
            handlers.append(urllib.request.ProxyHandler({}))
        elif proxy:
            handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
        self.opener = urllib.request.build_opener(*handlers)

    def _request(self, method: str, path: str, query: dict[str, str] | None = None, data=None,
                 headers: dict[str, str] | None = None):
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        if not url.lower().startswith(("http://", "https://")):
            raise RemoteError(f"runner URL {self.base_url!r} must start with http:// or https://")
        request = urllib.request.Request(url, data=data, method=method,  # nosec B310: scheme checked above
                                         headers={"Authorization": f"Bearer {self.token}", **(headers or {})})
        try:
            return self.opener.open(request, timeout=self.timeout)  # nosec B310
        except urllib.error.HTTPError as err:
            detail = err.read(4000).decode("utf-8", "replace")
            try:
                detail = json.loads(detail).get("detail", detail)
            except (ValueError, AttributeError):
                pass
            raise RemoteError(f"{method} {path} answered {err.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as err:
            raise RemoteError(f"cannot reach the runner at {self.base_url}: {err}") from None

    def upload(self, local_path: str, folder: str | None = None, progress: Progress | None = None,
               cancelled: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Stream one file up; returns the runner's {id, path, size}."""
        if not os.path.isfile(local_path):
            raise RemoteError(f"input file {local_path} does not exist")
        size = os.path.getsize(local_path)
        name = os.path.basename(local_path)
        query = {"name": name, **({"folder": folder} if folder else {})}
        with open(local_path, "rb") as f:
            body = _CountingReader(f, name, size, progress, cancelled)
            with self._request("POST", "/v1/files", query, data=body,
                               headers={"Content-Length": str(size),
                                        "Content-Type": "application/octet-stream"}) as response:
                return json.loads(response.read())

    def output_folder(self) -> str:
        with self._request("POST", "/v1/files/outdir") as response:
            return json.loads(response.read())["path"]

    def download(self, remote_path: str, local_path: str, progress: Progress | None = None) -> str:
        """Stream a runner file to `local_path` (via a .part file renamed when complete)."""
        target = Path(local_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        try:
            with self._request("GET", "/v1/files", {"path": remote_path}) as response, open(part, "wb") as out:
                total = int(response.headers.get("Content-Length") or 0)
                done = 0
                while True:
                    block = response.read(CHUNK)
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if progress is not None:
                        progress(target.name, done, total)
            if total and done != total:
                raise RemoteError(f"download of {remote_path} stopped at {done} of {total} bytes")
            os.replace(part, target)
        finally:
            if part.exists():
                part.unlink()
        return str(target)


class RemoteJob:
    """One job's uploads and output mapping: `prepare(spec)` before submitting, `fetch(result)` after."""

    def __init__(self, files: RemoteFiles, progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None):
        self.files, self.progress, self.cancelled = files, progress, cancelled
        self.uploaded: dict[str, str] = {}          # local path → runner path
        self.local_out: str | None = None

    def _send(self, local: str, key: str) -> str:
        if local in self.uploaded:
            return self.uploaded[local]
        if os.path.isdir(local):
            raise RemoteError(f"{key}: {local} is a folder; list its raster files one by one for a remote runner")
        if local.lower().endswith(".vrt"):
            raise RemoteError(f"{key}: {local} is a VRT that points to other files; a remote runner needs the "
                              "data itself: export it to GeoTIFF first")
        answer = self.files.upload(local, progress=self.progress, cancelled=self.cancelled)
        for extra in sidecars(local):
            self.files.upload(extra, folder=answer["id"], progress=self.progress, cancelled=self.cancelled)
        self.uploaded[local] = answer["path"]
        return answer["path"]

    def prepare(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A copy of the spec with every input uploaded and `out` redirected under the runner home."""
        new = dict(spec)
        for key in SINGLE_PATH_KEYS:
            if new.get(key):
                new[key] = self._send(str(new[key]), key)
        for key in LIST_PATH_KEYS:
            if new.get(key):
                new[key] = [self._send(str(p), key) for p in new[key]]
        if new.get("out"):
            self.local_out = str(new["out"])
            new["out"] = self.files.output_folder().rstrip("/") + "/" + Path(self.local_out).name
        return new

    def fetch(self, result: dict[str, Any]) -> dict[str, Any]:
        """Download the result files beside the user's requested output; returns the result with local paths."""
        if not self.local_out:
            return dict(result)
        local_dir = Path(self.local_out).parent
        local = dict(result)
        for key in RESULT_FILE_KEYS:
            remote_path = result.get(key)
            if remote_path:
                name = Path(self.local_out).name if key == "class_map" else remote_path.replace("\\", "/").split(
                    "/")[-1]
                local[key] = self.files.download(remote_path, str(local_dir / name), progress=self.progress)
        return local
