"""Time series in the forms users receive them, recognised from what they pass and resolved to one raster per date.

Forms, recognised in this order for each path (a folder is searched for all of them):
- a Sentinel-2 L2A product, `.SAFE` folder or `.zip` (runner/geo/sentinel2_safe.py): one date, SCL as its mask;
- a multi-date stack: one file whose band descriptions (or band tags) carry a date and a band, `B4_20230515`,
  `20230515_VV` (Google Earth Engine, openEO, Sentinel Hub exports): one date per distinct date;
- per-band files, one band per file with the band in the name, as the Copernicus Browser names its downloads
  (`2023-05-15-00:00_2023-05-15-23:59_Sentinel-2_L2A_B04_(Raw).tiff`), grouped by date; an `SCL` file of the
  same date becomes the mask;
- a STAC item, by URL or as a local JSON file (runner/geo/stac.py): one date, its COGs read through /vsicurl/;
- anything else: one raster per date, bands by description or in the registry's order (the original layout).
Each date resolves to a raster the scene reader opens unchanged: the file itself, or a VRT (runner/geo/vrt.py) with
the registry's bands in order, offsets applied and Sentinel-1 in dB. What was recognised is summarised for the job's
log by `describe`.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import rasterio
from rasterio.errors import RasterioError

from runner import modalities
from runner.errors import InputError
from runner.geo.dated_raster import DatedRaster
from runner.geo.dates import date_from_name, date_from_tags
from runner.geo.inputs import band_layout, raster_info
from runner.geo.sentinel2_safe import is_s2_product, read_product
from runner.geo.stac import is_stac_item, is_url, item_raster
from runner.geo.vrt import BandSource, build_vrt

_TOKENS = re.compile(r"[_\-\s().\[\]]+")
S1_UNITS = ("db", "power", "amplitude")


@dataclass(frozen=True)
class _File:
    path: str
    count: int
    descriptions: tuple[str | None, ...]
    band_tags: tuple[dict, ...]
    tags: dict
    units: tuple[str | None, ...]


def _open(path: str, role: str) -> _File:
    if not os.path.exists(path):
        raise InputError(f"{role} file {path} does not exist")
    try:
        with rasterio.open(path) as src:
            return _File(path, src.count, tuple(src.descriptions), tuple(src.tags(i) for i in range(1, src.count + 1)),
                         dict(src.tags()), tuple(src.units))
    except RasterioError as err:
        raise InputError(f"{role} file {path} is not a raster GDAL can read ({err})") from None


def _is_raster_name(p: Path) -> bool:
    return p.suffix.lower() in modalities.RASTER_SUFFIXES


def product_of_subdataset(path: str) -> str:
    """A QGIS layer opened through GDAL's SENTINEL2 driver names a subdataset,
    `SENTINEL2_L2A:/data/S2B_….SAFE/MTD_MSIL2A.xml:10m:EPSG_32632` (or `…:/vsizip//data/S2B_….zip/….SAFE/…`): the
    product it belongs to, read whole (all resolutions, SCL) like the product itself; other paths unchanged."""
    m = re.match(r"^SENTINEL2_L2A:(.+?MTD_MSIL2A\.xml)(?::.*)?$", path)
    if not m:
        return path
    mtd = m.group(1)
    zipped = re.match(r"^/vsizip/(.+?\.zip)/", mtd)
    return zipped.group(1) if zipped else str(Path(mtd).parent)


def expand_paths(paths: list[str], modality: str) -> list[str]:
    """Folders, globs and files → products and raster files, sorted, folders searched one level deep."""
    out: list[str] = []
    for p in (product_of_subdataset(p) for p in paths):
        if is_s2_product(p) or is_stac_item(p):
            out.append(p)
        elif os.path.isdir(p):
            found = sorted(str(q) for q in Path(p).iterdir()
                           if (q.is_file() and _is_raster_name(q)) or is_s2_product(str(q)))
            if not found:
                raise InputError(f"folder {p} holds no raster files (.tif, .tiff, .vrt, .jp2) or Sentinel-2 "
                                 "products (.SAFE, .zip)")
            out.extend(found)
        elif any(ch in p for ch in "*?["):
            found = sorted(glob.glob(p))
            if not found:
                raise InputError(f"pattern {p} matches no file")
            out.extend(found)
        else:
            out.append(p)
    missing = [f for f in out if not os.path.exists(f) and not is_url(f)]
    if missing:
        raise InputError(f"{modality}: {len(missing)} file(s) do not exist: {', '.join(missing[:5])}")
    return out


def band_in_name(name: str, modality: str) -> str | None:
    """The registry band a file name names, as one token (`…_B04_(Raw).tiff` → B4, `S1_20200101_VH.tif` → VH);
    'SCL' for a scene classification file; None when no band or several are named."""
    tokens = [t for t in _TOKENS.split(Path(name).stem) if t]
    wanted = set(modalities.band_names(modality))
    if modality == "s2":
        wanted.add(str(modalities.get("s2").extra["scl_band"]))
    hits = {b for t in tokens if (b := modalities.canonical_band(t, modality)) in wanted}
    return hits.pop() if len(hits) == 1 else None


def stack_layout(f: _File, modality: str) -> dict[dt.date, dict[str, int]] | None:
    """date → band → 1-based index, when every band of `f` names a date and a registry band (a single-date export
    named that way too, `20230515_B4`, whose bands are then put in the registry's order); None otherwise."""
    wanted = set(modalities.band_names(modality))
    layout: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for i in range(f.count):
        desc = f.descriptions[i] or ""
        date = date_from_name(desc) or date_from_tags(f.band_tags[i])
        if date is None:
            return None
        rest = [t for t in _TOKENS.split(desc) if t and not t.isdigit() and date_from_name(t) is None]
        names = {b for t in rest if (b := modalities.canonical_band(t, modality)) in wanted}
        band = names.pop() if len(names) == 1 else None
        if band is None:
            band = next((modalities.canonical_band(v, modality) for k, v in f.band_tags[i].items()
                         if k.upper() in ("BAND", "BAND_NAME", "NAME")), None)
        if band not in wanted:
            return None
        layout[date][band] = i + 1
    return dict(layout) if layout else None


def s1_unit(f: _File) -> str | None:
    """Sentinel-1 backscatter unit from the file's own metadata: band unit type, a unit tag, band descriptions,
    an ASF RTC name (`_RTC30_G_gpuned_`: p power, a amplitude, d dB) or a dB/linear token in the name."""
    texts = [u for u in f.units if u] + [v for k, v in f.tags.items() if k.upper() in
                                         ("UNIT", "UNITS", "SCALE", "BACKSCATTER_UNIT", "RADIOMETRY_UNIT")]
    for t in texts:
        u = t.strip().lower()
        if u in ("db", "decibel", "decibels"):
            return "db"
        if u in ("power", "linear", "linear power", "intensity"):
            return "power"
        if u in ("amplitude", "linear amplitude"):
            return "amplitude"
    asf = re.search(r"_RTC\d+_[A-Z]_[gs]([pad])", Path(f.path).name)
    if asf:
        return {"p": "power", "a": "amplitude", "d": "db"}[asf.group(1)]
    tokens = {t.upper() for d in (*f.descriptions, Path(f.path).stem) if d for t in _TOKENS.split(d)}
    if tokens & {"DB", "DECIBEL"}:
        return "db"
    if tokens & {"AMPLITUDE", "AMP"}:
        return "amplitude"
    if tokens & {"LIN", "LINEAR", "POWER"}:
        return "power"
    return None


def _db_args(unit: str | None) -> dict:
    """VRT pixel function turning a linear unit into the registry's dB (10·log10 power, 20·log10 amplitude)."""
    if unit in ("power", "amplitude"):
        return {"func": "dB", "func_args": (("fact", "10" if unit == "power" else "20"),)}
    return {}


def resolve_series(paths: list[str], modality: str, dates: list[str] | None = None) -> list[DatedRaster]:
    """The user's paths → one DatedRaster per date, sorted, whatever the form; dates given by the caller (the
    plugin's edited dates, one per path) win over the ones read from names and metadata."""
    given = _parse_dates(dates, modality) if dates is not None else None
    files = expand_paths(list(paths), modality)
    if given is not None and len(given) != len(files):
        raise InputError(f"{modality}: {len(given)} dates given for {len(files)} files")
    title = modalities.get(modality).title
    out: list[DatedRaster] = []
    per_band: dict[dt.date, dict[str, str]] = defaultdict(dict)
    undated: list[str] = []
    for k, path in enumerate(files):
        forced = given[k] if given is not None else None
        if is_s2_product(path):
            if modality != "s2":
                raise InputError(f"{modality}: {Path(path).name} is a Sentinel-2 product, given as {title}")
            product = read_product(path)
            detail = [f"baseline {product.baseline}" + (" offsets applied" if product.offsets_applied else "")]
            if product.mask:
                detail.append("SCL as cloud mask")
            out.append(DatedRaster(product.vrt, forced or product.date, mask=product.mask,
                                   form="Sentinel-2 L2A product", detail=tuple(detail), source=path,
                                   tile=product.tile))
            continue
        if is_stac_item(path):
            item = item_raster(path, modality)
            out.append(item if forced is None else replace(item, date=forced))
            continue
        f = _open(path, title)
        stack = stack_layout(f, modality) if f.count > 1 else None
        if stack is not None:
            # a caller's date applies to a one-date file; a multi-date stack's dates are its own
            dates_of = _stack_dates(f, stack, modality)
            out.extend([replace(dates_of[0], date=forced)] if forced is not None and len(dates_of) == 1 else dates_of)
            continue
        band = band_in_name(path, modality) if f.count == 1 else None
        if band is not None:
            date = forced or date_from_name(Path(path).name) or date_from_tags(f.tags)
            if date is None:
                undated.append(path)
                continue
            if band in per_band[date]:
                raise InputError(f"{modality}: two files for band {band} on {date.isoformat()}: "
                                 f"{Path(per_band[date][band]).name} and {Path(path).name}")
            per_band[date][band] = path
            continue
        date = forced or date_from_name(Path(path).name) or date_from_tags(f.tags)
        if date is None:
            undated.append(path)
            continue
        out.append(_plain(f, date, modality))
    if undated:
        raise InputError(f"{modality}: no date in the name or metadata of {len(undated)} file(s): "
                         f"{', '.join(Path(u).name for u in undated[:8])}; name them like S2_20200315.tif "
                         "or give the dates")
    check_one_tile(out, modality)
    out.extend(_per_band_dates(per_band, modality))
    seen: dict[dt.date, DatedRaster] = {}
    for r in out:
        if r.date in seen:
            raise InputError(f"{modality}: duplicate date {r.date.isoformat()} for {Path(seen[r.date].source).name} "
                             f"and {Path(r.source).name}; keep one raster per date")
        seen[r.date] = r
    return sorted(out, key=lambda r: r.date)


def plain_series(paths: list[str], dates: list[str] | None = None) -> list[DatedRaster]:
    """Masks and other per-date rasters read as they are: date from the caller, the name or the metadata."""
    files = expand_paths(list(paths), "s2 mask")
    given = _parse_dates(dates, "s2 mask") if dates is not None else None
    if given is not None and len(given) != len(files):
        raise InputError(f"s2 mask: {len(given)} dates given for {len(files)} files")
    out, undated = [], []
    for k, path in enumerate(files):
        date = given[k] if given is not None else date_from_name(Path(path).name) or date_from_tags(
            _open(path, "s2 mask").tags)
        if date is None:
            undated.append(path)
        else:
            out.append(DatedRaster(path, date))
    if undated:
        raise InputError(f"s2 mask: no date in the name or metadata of {len(undated)} file(s): "
                         f"{', '.join(Path(u).name for u in undated[:8])}")
    return sorted(out, key=lambda r: r.date)


def check_one_tile(rasters: list[DatedRaster], modality: str) -> None:
    """One series, one tile: products (or STAC items) of two tiles cover other ground, or overlap at the edges,
    and would be read as if they were dates of the same place."""
    by_tile: dict[str, str] = {}
    for r in rasters:
        if r.tile and r.tile not in by_tile:
            by_tile[r.tile] = Path(r.source).name
    if len(by_tile) > 1:
        a, b = sorted(by_tile)[:2]
        raise InputError(f"{modality}: products of different tiles in one series: {by_tile[a]} (tile {a}) and "
                         f"{by_tile[b]} (tile {b}); pick the products of one tile")


def _parse_dates(dates: list[str], modality: str) -> list[dt.date]:
    try:
        return [dt.date.fromisoformat(str(d)[:10]) for d in dates]
    except ValueError as err:
        raise InputError(f"{modality}: bad date ({err}); use YYYY-MM-DD") from None


def _plain(f: _File, date: dt.date, modality: str) -> DatedRaster:
    """One raster per date, the original layout; Sentinel-1 whose metadata says linear is wrapped to dB (and
    reported); without a unit in the metadata the values decide later, as before (scene_open.detect_conversions)."""
    if modality == "s1":
        unit = s1_unit(f)
        if unit in ("power", "amplitude"):
            idx, names = band_layout(raster_info(f.path, "Sentinel-1"), "s1")
            vrt = build_vrt([BandSource(f.path, i, n, **_db_args(unit)) for i, n in zip(idx, names, strict=True)],
                            Path(f.path).stem, "Sentinel-1")
            return DatedRaster(vrt, date, form="Sentinel-1 raster", detail=(f"{unit} converted to dB",), source=f.path)
    return DatedRaster(f.path, date, source=f.path)  # the original layout: nothing to report


def _stack_dates(f: _File, stack: dict[dt.date, dict[str, int]], modality: str) -> list[DatedRaster]:
    names = modalities.band_names(modality)
    unit = s1_unit(f) if modality == "s1" else None
    out = []
    for date, bands in sorted(stack.items()):
        missing = [b for b in names if b not in bands]
        if missing:
            raise InputError(f"{modality}: stack {Path(f.path).name} has no band {', '.join(missing)} for "
                             f"{date.isoformat()}")
        vrt = build_vrt([BandSource(f.path, bands[b], b, **_db_args(unit)) for b in names],
                        f"{Path(f.path).stem}_{date:%Y%m%d}", modalities.get(modality).title,
                        tags={"ACQUISITION_DATE": date.isoformat()})
        detail = (f"{unit} converted to dB",) if unit in ("power", "amplitude") else ()
        out.append(DatedRaster(vrt, date, form="multi-date stack", detail=detail, source=f.path))
    return out


def _per_band_dates(groups: dict[dt.date, dict[str, str]], modality: str) -> list[DatedRaster]:
    names = modalities.band_names(modality)
    title = modalities.get(modality).title
    out = []
    for date, files in sorted(groups.items()):
        missing = [b for b in names if b not in files]
        if missing:
            some = Path(next(iter(files.values()))).name
            raise InputError(f"{modality}: per-band files of {date.isoformat()} (e.g. {some}) lack band "
                             f"{', '.join(missing)}")
        unit = s1_unit(_open(files[names[0]], title)) if modality == "s1" else None
        vrt = build_vrt([BandSource(files[b], 1, b, **_db_args(unit)) for b in names],
                        f"{modality}_bands_{date:%Y%m%d}", f"{title} {date.isoformat()}",
                        tags={"ACQUISITION_DATE": date.isoformat()})
        scl = files.get(str(modalities.get("s2").extra["scl_band"])) if modality == "s2" else None
        mask = build_vrt([BandSource(scl, 1, "SCL")], f"s2_scl_{date:%Y%m%d}", f"{title} {date.isoformat()}") \
            if scl else None
        detail = tuple(d for d in ((f"{unit} converted to dB" if unit in ("power", "amplitude") else ""),
                                   ("SCL as cloud mask" if mask else "")) if d)
        out.append(DatedRaster(vrt, date, mask=mask, form="per-band download", detail=detail,
                               source=files[names[0]]))
    return out


def describe(rasters: list[DatedRaster], modality: str) -> list[str]:
    """What was recognised, one line per form, for the job's log: 'read 23 Sentinel-2 L2A products, 10 bands at
    10 m, SCL as cloud mask, baseline 05.09 offsets applied'."""
    m = modalities.get(modality)
    lines = []
    by_form: dict[str, list[DatedRaster]] = defaultdict(list)
    for r in rasters:
        if r.form:
            by_form[r.form].append(r)
    for form, items in by_form.items():
        if form == "Sentinel-2 L2A product":
            label = "Sentinel-2 L2A products" if len(items) > 1 else "Sentinel-2 L2A product"
        elif form == "per-band download":
            label = f"dates of per-band {m.title} files"
        elif form == "STAC item":
            label = f"{m.title} STAC items"
        elif form == "multi-date stack":
            label = f"{m.title} dates from {len({r.source for r in items})} multi-date stack(s)"
        else:
            label = f"{m.title} rasters"
        finest = min((b.resolution_m for b in m.bands if b.resolution_m), default=None)
        parts = [f"read {len(items)} {label}", f"{len(m.bands)} bands" + (f" at {finest:g} m" if finest else "")]
        counts = Counter(d for r in items for d in r.detail)
        for detail, n in counts.items():
            parts.append(detail if n == len(items) else f"{detail} ({n} of {len(items)})")
        lines.append(", ".join(parts))
    return lines


def expand_series(paths: list[str], modality: str, dates: list[str] | None = None) -> list[DatedRaster]:
    """Folders/globs/files/products → one raster per date, sorted (the forms above are recognised);
    files without a date or with a duplicate date are listed. Masks (`s2_mask`) are plain rasters per date."""
    if modality == "s2_mask":
        return plain_series(paths, dates)
    return resolve_series(paths, modality, dates)
