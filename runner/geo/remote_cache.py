"""Cloud-Optimised GeoTIFFs read straight from their URLs, window by window, with a local cache.

Why a cache of our own: GDAL's /vsicurl/ reads only the byte ranges a window needs, but forgets them when the
process ends, so every job (and every distributed rank) would fetch the same tiles again. Here a remote raster is
cut into chunks on its own internal tiling (a COG's 512 or 1024-pixel blocks: one range request each); a chunk
is fetched once, into `cache_root()`, and every later job over the same ground reads it from disk. Headers are
cached too, so a second job over the same extent makes no request at all.

The cache is keyed by the URL without its query string, so a signed URL (Planetary Computer's SAS tokens) whose
signature changed still hits. Signing happens only when bytes are fetched, through a pluggable `signer`
(`OMNISAT_URL_SIGNER=package.module:function`, or `set_signer`), so an expired signature is renewed by signing
again, and an unrenewable one is one line naming the URL.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import math
import os
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree  # nosec B405 - our own VRTs

import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.windows import Window

from runner.errors import InputError
from runner.geo.vrt_files import write_vrt

REMOTE_PREFIX = "/vsicurl/"
Signer = Callable[[str], str]
_signer: Signer | None = None
# GDAL retries 429 and 5xx answers itself; one failed request must not fail a job
HTTP_ENV = {"GDAL_HTTP_MAX_RETRY": "4", "GDAL_HTTP_RETRY_DELAY": "0.2", "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
            "GDAL_HTTP_TIMEOUT": "60"}


def cache_root() -> Path:
    """OMNISAT_COG_CACHE, else `cache/cog` under the runner home."""
    env = os.environ.get("OMNISAT_COG_CACHE")
    if env:
        root = Path(env)
    else:
        from runner.config import default_home

        root = default_home() / "cache" / "cog"
    root.mkdir(parents=True, exist_ok=True)
    return root


def set_signer(signer: Signer | None) -> None:
    """Install a URL signer (a function from URL to signed URL), or None for plain URLs."""
    global _signer
    _signer = signer


def sign(url: str) -> str:
    """The URL to fetch: signed by the installed signer, else by OMNISAT_URL_SIGNER's function, else as is."""
    signer = _signer
    if signer is None and os.environ.get("OMNISAT_URL_SIGNER"):
        module, _, name = os.environ["OMNISAT_URL_SIGNER"].partition(":")
        try:
            signer = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as err:
            raise InputError(f"OMNISAT_URL_SIGNER {os.environ['OMNISAT_URL_SIGNER']!r} cannot be loaded "
                             f"({err}); set it to package.module:function") from None
    return signer(url) if signer is not None else url


def is_remote(path: str) -> bool:
    return path.startswith(REMOTE_PREFIX)


def unsigned(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _key(url: str) -> Path:
    return cache_root() / hashlib.sha256(unsigned(url).encode()).hexdigest()[:24]


def _fail(url: str, err: Exception) -> InputError:
    text = str(err)
    hint = ""
    if "403" in text or "401" in text:
        hint = ": access refused, a signed URL may have expired (sign it again) or the data needs credentials"
    elif "404" in text:
        hint = ": not found (the catalogue points to a file that is gone)"
    elif "Could not resolve" in text or "Couldn't connect" in text or "Connection refused" in text:
        hint = ": the server cannot be reached (offline?)"
    return InputError(f"cannot read {unsigned(url)}{hint} ({text.splitlines()[0][:200]})")


def header(path: str) -> dict:
    """Size, georeferencing, type and tiling of a remote raster, from the cache or one header read."""
    url = path[len(REMOTE_PREFIX):]
    meta = _key(url) / "header.json"
    if meta.exists():
        h = json.loads(meta.read_text())
        h["transform"] = rasterio.Affine(*h["transform"])
        return h
    try:
        with rasterio.Env(**HTTP_ENV), rasterio.open(REMOTE_PREFIX + sign(url)) as src:
            h = {"width": src.width, "height": src.height, "transform": tuple(src.transform)[:6],
                 "crs": src.crs.to_wkt() if src.crs else None, "dtype": src.dtypes[0], "nodata": src.nodata,
                 "count": src.count, "block": list(src.block_shapes[0])}
    except RasterioError as err:
        raise _fail(url, err) from None
    meta.parent.mkdir(parents=True, exist_ok=True)
    tmp = meta.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(h))
    os.replace(tmp, meta)
    h["transform"] = rasterio.Affine(*h["transform"])
    return h


def _chunk_size(h: dict) -> tuple[int, int]:
    by, bx = h["block"]
    # a COG's internal tile; striped (non-cloud-optimised) files get 512-row strips of 512 columns
    return (by if by >= 256 else 512), (bx if bx >= 256 and bx < h["width"] else 512)


def fetch_chunk(url: str, h: dict, band: int, row: int, col: int) -> str:
    """The local file of chunk (row, col) of band `band`, fetched once."""
    path = _key(url) / f"b{band}_r{row}_c{col}.tif"
    if path.exists():
        return str(path)
    ch, cw = _chunk_size(h)
    win = Window(col * cw, row * ch, min(cw, h["width"] - col * cw), min(ch, h["height"] - row * ch))
    try:
        with rasterio.Env(**HTTP_ENV), rasterio.open(REMOTE_PREFIX + sign(url)) as src:
            data = src.read(band, window=win)
    except RasterioError as err:
        raise _fail(url, err) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(tmp, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                           dtype=data.dtype, compress="deflate") as dst:
            dst.write(data, 1)
    os.replace(tmp, path)
    return str(path)


def localise(vrt_path: str, bounds: tuple[float, float, float, float], bounds_crs: str, margin_px: int = 2) -> str:
    """A VRT like `vrt_path` whose remote sources are replaced by the cached chunks covering `bounds` (fetched now,
    in parallel, the ones not cached yet); the VRT itself when it has no remote source."""
    text = Path(vrt_path).read_text()
    if REMOTE_PREFIX not in text:
        return vrt_path
    from rasterio.warp import transform_bounds

    root = ElementTree.fromstring(text)  # nosec B314 - written by runner/geo/vrt.py
    gt = [float(v) for v in root.findtext("GeoTransform").split(",")]
    crs = root.findtext("SRS")
    x0, y0, x1, y1 = transform_bounds(bounds_crs, crs, *bounds, densify_pts=21)
    # the area in the VRT's pixels, with a margin for the warper's kernel
    dx0, dx1 = (x0 - gt[0]) / gt[1] - margin_px, (x1 - gt[0]) / gt[1] + margin_px
    dy0, dy1 = (y1 - gt[3]) / gt[5] - margin_px, (y0 - gt[3]) / gt[5] + margin_px
    jobs: list[tuple[str, dict, int, int, int]] = []
    plans: list[tuple[ElementTree.Element, ElementTree.Element, list[tuple[int, int]], str, dict, int]] = []
    for band in root.iter("VRTRasterBand"):
        for source in list(band.findall("ComplexSource")):
            name = source.findtext("SourceFilename")
            if not name or not is_remote(name):
                continue
            url, h = name[len(REMOTE_PREFIX):], header(name)
            sb = int(source.findtext("SourceBand"))
            d = source.find("DstRect").attrib
            sx, sy = float(d["xSize"]) / h["width"], float(d["ySize"]) / h["height"]
            ox, oy = float(d["xOff"]), float(d["yOff"])
            ch, cw = _chunk_size(h)
            c_lo = max(0, math.floor((dx0 - ox) / sx / cw))
            c_hi = min(math.ceil(h["width"] / cw) - 1, math.floor((dx1 - ox) / sx / cw))
            r_lo = max(0, math.floor((dy0 - oy) / sy / ch))
            r_hi = min(math.ceil(h["height"] / ch) - 1, math.floor((dy1 - oy) / sy / ch))
            cells = [(r, c) for r in range(r_lo, r_hi + 1) for c in range(c_lo, c_hi + 1)]
            jobs += [(url, h, sb, r, c) for r, c in cells]
            plans.append((band, source, cells, url, h, sb))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda j: fetch_chunk(*j), jobs))
    for band, source, cells, url, h, sb in plans:
        d = source.find("DstRect").attrib
        sx, sy = float(d["xSize"]) / h["width"], float(d["ySize"]) / h["height"]
        ox, oy = float(d["xOff"]), float(d["yOff"])
        ch, cw = _chunk_size(h)
        at = list(band).index(source)
        band.remove(source)
        for k, (r, c) in enumerate(cells):
            w, hh = min(cw, h["width"] - c * cw), min(ch, h["height"] - r * ch)
            chunk = copy.deepcopy(source)
            chunk.find("SourceFilename").text = fetch_chunk(url, h, sb, r, c)
            chunk.find("SourceBand").text = "1"
            props = chunk.find("SourceProperties")
            if props is not None:
                chunk.remove(props)
            chunk.find("SrcRect").attrib.update(xOff="0", yOff="0", xSize=str(w), ySize=str(hh))
            chunk.find("DstRect").attrib.update(xOff=repr(ox + c * cw * sx), yOff=repr(oy + r * ch * sy),
                                                xSize=repr(w * sx), ySize=repr(hh * sy))
            band.insert(at + k, chunk)
    return write_vrt(ElementTree.tostring(root, encoding="unicode"), Path(vrt_path).stem.split(".")[0] + "_local")


def chunk_stats(url: str) -> int:
    """How many chunks of `url` are cached (for logs and tests)."""
    folder = _key(url)
    return len(list(folder.glob("b*_r*_c*.tif"))) if folder.exists() else 0


__all__ = ["HTTP_ENV", "cache_root", "chunk_stats", "fetch_chunk", "header", "is_remote", "localise", "set_signer",
           "sign", "unsigned"]
