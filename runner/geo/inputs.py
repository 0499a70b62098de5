"""Users' rasters as the pipeline sees them: dated series, band layouts, and checks that name the culprit.

A time series is one raster per date. Paths may be folders, globs or files; dates come from the caller (the
plugin's edited dates), else from the file name, else from GDAL metadata. Every check raises InputError naming the
file, band or date at fault, because a user with 150 files cannot guess which one is wrong.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import ColorInterp
from rasterio.errors import RasterioError
from rasterio.windows import Window

from runner.errors import InputError
from runner.geo.dates import date_from_name, date_from_tags

RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".jp2", ".img"}
S2_BANDS = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")
S1_BANDS = ("VV", "VH")
AERIAL_BANDS = {3: ("R", "G", "B"), 4: ("R", "G", "B", "NIR"), 5: ("R", "G", "B", "NIR", "ELEVATION")}


@dataclass(frozen=True)
class DatedRaster:
    path: str
    date: dt.date


@dataclass(frozen=True)
class RasterInfo:
    """What the pipeline needs to know of one file, read once from its header."""

    path: str
    count: int
    crs: str
    bounds: tuple[float, float, float, float]
    res: tuple[float, float]
    dtype: str
    nodata: float | None
    descriptions: tuple[str | None, ...]
    tags: dict
    alpha_band: int | None = None  # 1-based index of a band flagged as alpha (transparency), if any

    @property
    def data_bands(self) -> list[int]:
        """1-based indexes of the bands that hold data: all but an alpha band."""
        return [i for i in range(1, self.count + 1) if i != self.alpha_band]


def raster_info(path: str, role: str) -> RasterInfo:
    """Open a raster's header; a missing, non-raster or unreadable file is an InputError naming it."""
    if not os.path.exists(path):
        raise InputError(f"{role} file {path} does not exist")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputError(f"{role} file {path} has no CRS: assign one (e.g. in QGIS, Layer ▸ Set CRS)")
            alpha = [i + 1 for i, c in enumerate(src.colorinterp) if c == ColorInterp.alpha]
            return RasterInfo(path, src.count, src.crs.to_wkt(), tuple(src.bounds), src.res, src.dtypes[0],
                              src.nodata, tuple(src.descriptions), dict(src.tags()), alpha[0] if alpha else None)
    except RasterioError as err:
        raise InputError(f"{role} file {path} is not a raster GDAL can read ({err})") from None


def _expand(paths: list[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(str(q) for q in Path(p).iterdir() if q.suffix.lower() in RASTER_SUFFIXES)
            if not found:
                raise InputError(f"folder {p} holds no raster files (.tif, .tiff, .vrt, .jp2)")
            out.extend(found)
        elif any(ch in p for ch in "*?["):
            found = sorted(glob.glob(p))
            if not found:
                raise InputError(f"pattern {p} matches no file")
            out.extend(found)
        else:
            out.append(p)
    return out


def expand_series(paths: list[str], modality: str, dates: list[str] | None = None) -> list[DatedRaster]:
    """Folders/globs/files → rasters sorted by date; files without a date or with a duplicate date are listed."""
    files = _expand(list(paths))
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        raise InputError(f"{modality}: {len(missing)} file(s) do not exist: {', '.join(missing[:5])}")
    if dates is not None:
        if len(dates) != len(files):
            raise InputError(f"{modality}: {len(dates)} dates given for {len(files)} files")
        try:
            parsed = [dt.date.fromisoformat(str(d)[:10]) for d in dates]
        except ValueError as err:
            raise InputError(f"{modality}: bad date ({err}); use YYYY-MM-DD") from None
    else:
        parsed = []
        undated = []
        for f in files:
            date = date_from_name(Path(f).name)
            if date is None:
                try:
                    with rasterio.open(f) as src:
                        date = date_from_tags(src.tags())
                except RasterioError as err:
                    raise InputError(f"{modality} file {f} is not a raster GDAL can read ({err})") from None
            if date is None:
                undated.append(f)
            parsed.append(date)
        if undated:
            raise InputError(f"{modality}: no date in the name or metadata of {len(undated)} file(s): "
                             f"{', '.join(Path(u).name for u in undated[:8])}; name them like S2_20200315.tif "
                             "or give the dates")
    seen: dict[dt.date, str] = {}
    for f, d in zip(files, parsed, strict=True):
        if d in seen:
            raise InputError(f"{modality}: duplicate date {d.isoformat()} for {Path(seen[d]).name} and "
                             f"{Path(f).name}; keep one raster per date")
        seen[d] = f
    return sorted((DatedRaster(f, d) for f, d in zip(files, parsed, strict=True)), key=lambda r: r.date)


def normalise_band_name(name: str | None) -> str | None:
    """B02 → B2, b8a → B8A, 'VV' stays; None for missing descriptions."""
    if not name:
        return None
    n = name.strip().upper()
    if n.startswith("B") and n[1:].lstrip("0").rstrip("A").isdigit():
        return "B" + n[1:].lstrip("0")
    return n


def band_layout(info: RasterInfo, modality: str) -> tuple[list[int], list[str]]:
    """Which 1-based band indexes to read, in the model's band order, and their names.

    S2: the 10 bands by description when named, else the first 10 in the standard order. S1: VV, VH (a third
    ratio band is ignored: the model derives nothing from it). Aerial: 3-5 bands; R, G, B, NIR, elevation by
    description when named (colour-infrared files store NIR first), else in file order.
    """
    names = [normalise_band_name(d) for d in info.descriptions]
    if modality == "s2":
        if all(b in names for b in S2_BANDS):
            return [names.index(b) + 1 for b in S2_BANDS], list(S2_BANDS)
        if info.count != 10:
            raise InputError(f"Sentinel-2 file {info.path} has {info.count} bands; expected the 10 bands "
                             f"{', '.join(S2_BANDS)} (band names in the descriptions, or exactly 10 in that order)")
        return list(range(1, 11)), list(S2_BANDS)
    if modality == "s1":
        if "VV" in names and "VH" in names:
            return [names.index("VV") + 1, names.index("VH") + 1], list(S1_BANDS)
        if info.count not in (2, 3):
            raise InputError(f"Sentinel-1 file {info.path} has {info.count} bands; expected VV and VH "
                             "(optionally a ratio band third)")
        return [1, 2], list(S1_BANDS)
    if modality == "aerial":
        data = info.data_bands  # an alpha band is transparency (drone orthomosaics): a mask, not data
        if len(data) not in AERIAL_BANDS:
            alpha = f" besides its alpha band {info.alpha_band}" if info.alpha_band else ""
            raise InputError(f"aerial file {info.path} has {len(data)} bands{alpha}; expected 3 to 5 "
                             "(R, G, B, then NIR and elevation)")
        order = AERIAL_BANDS[len(data)]
        aliases = {"RED": "R", "GREEN": "G", "BLUE": "B", "NIR": "NIR", "N": "NIR", "DSM": "ELEVATION",
                   "NDSM": "ELEVATION", "DEM": "ELEVATION"}
        canon = {i: aliases.get(names[i - 1], names[i - 1]) if names[i - 1] else None for i in data}
        if all(b in canon.values() for b in order):
            by_name = {name: i for i, name in canon.items()}
            return [by_name[b] for b in order], list(order)
        return data, list(order)
    if modality == "s2_mask":
        return [1] if info.count == 1 else [1, 2], ["MASK"] if info.count == 1 else ["SNOW", "CLOUD"]
    raise ValueError(f"unknown modality {modality}")


def alpha_holds_data(info: RasterInfo, sample: int = 128, partial: float = 0.05) -> bool:
    """Whether a band flagged as alpha holds data rather than transparency.

    Transparency is mostly fully transparent or fully opaque values, as drone orthomosaics write it (feathered
    seams are a few partial values). A data band flagged as alpha by mistake (GDAL's default for 4-band bytes,
    so often an R, G, B, NIR image's NIR) has values all over the range; read as alpha, GDAL's warper would
    weight or blank pixels by them. Reads a 4 × 4 grid of `sample`-pixel windows spread over the band, not the
    whole band: a decimated read of a large mosaic without overviews would read every block of it."""
    if info.alpha_band is None:
        return False
    with rasterio.open(info.path) as src:
        h, w = min(sample, src.height), min(sample, src.width)
        rows = np.linspace(0, src.height - h, 4).astype(int)
        cols = np.linspace(0, src.width - w, 4).astype(int)
        values = np.concatenate([src.read(info.alpha_band, window=Window(c, r, w, h)).ravel()
                                 for r in sorted(set(rows)) for c in sorted(set(cols))])
        opaque = np.iinfo(values.dtype).max if np.issubdtype(values.dtype, np.integer) else 1.0
    return float(np.mean((values != 0) & (values != opaque))) > partial


def check_series(infos: list[RasterInfo], modality: str) -> tuple[list[int], list[str]]:
    """Every date of a series must have the same band layout; the odd file out is named."""
    layouts = [band_layout(i, modality) for i in infos]
    first = layouts[0]
    for info, layout in zip(infos, layouts, strict=True):
        if layout[0] != first[0] or info.count != infos[0].count:
            raise InputError(f"{modality}: {Path(info.path).name} has {info.count} bands but "
                             f"{Path(infos[0].path).name} has {infos[0].count}; every date must have the same bands")
    return first
