"""Users' rasters as the pipeline sees them: dated series, band layouts, and checks that name the culprit.

A time series is one raster per date. Paths may be folders, globs or files; dates come from the caller (the
plugin's edited dates), else from the file name, else from GDAL metadata. Every check raises InputError naming the
file, band or date at fault, because a user with 150 files cannot guess which one is wrong.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import ColorInterp
from rasterio.errors import RasterioError
from rasterio.windows import Window

from runner import modalities
from runner.errors import InputError

RASTER_SUFFIXES = modalities.RASTER_SUFFIXES


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
    colorinterp: tuple[str, ...] = ()  # GDAL colour interpretation per band (red, green, blue, gray, undefined…)

    @property
    def data_bands(self) -> list[int]:
        """1-based indexes of the bands that hold data: all but an alpha band."""
        return [i for i in range(1, self.count + 1) if i != self.alpha_band]


def raster_info(path: str, role: str) -> RasterInfo:
    """Open a raster's header; a missing, non-raster or unreadable file is an InputError naming it."""
    if not os.path.exists(path) and not path.startswith("/vsi"):
        raise InputError(f"{role} file {path} does not exist")
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputError(f"{role} file {path} has no CRS: assign one (e.g. in QGIS, Layer ▸ Set CRS)")
            alpha = [i + 1 for i, c in enumerate(src.colorinterp) if c == ColorInterp.alpha]
            return RasterInfo(path, src.count, src.crs.to_wkt(), tuple(src.bounds), src.res, src.dtypes[0],
                              src.nodata, tuple(src.descriptions), dict(src.tags()), alpha[0] if alpha else None,
                              tuple(c.name for c in src.colorinterp))
    except RasterioError as err:
        raise InputError(f"{role} file {path} is not a raster GDAL can read ({err})") from None


def band_layout(info: RasterInfo, modality: str) -> tuple[list[int], list[str]]:
    """Which 1-based band indexes to read, in the registry's band order (runner/modalities.py), and their names.

    S2: the 10 bands by description when named, else exactly 10 bands taken in the registry's order. S1: VV, VH
    by description, else the first two (a third ratio band is ignored). Aerial: see `aerial_roles`."""
    if modality == "s2_mask":
        return [1] if info.count == 1 else [1, 2], ["MASK"] if info.count == 1 else ["SNOW", "CLOUD"]
    m = modalities.get(modality)
    if modality == "aerial":
        return aerial_layout(info)
    order = list(m.band_names)
    names = [modalities.canonical_band(d, modality) for d in info.descriptions]
    if all(b in names for b in order):
        return [names.index(b) + 1 for b in order], order
    if modality == "s1":
        if info.count not in (2, 3):
            raise InputError(f"Sentinel-1 file {info.path} has {info.count} bands; expected {' and '.join(order)} "
                             "(optionally a ratio band third)")
        return [1, 2], order
    if info.count != len(order):
        raise InputError(f"{m.title} file {info.path} has {info.count} bands; expected the {len(order)} bands "
                         f"{', '.join(order)} (band names in the descriptions, or exactly {len(order)} in that order)")
    return list(range(1, len(order) + 1)), order


_AERIAL = modalities.get("aerial")
_COLOUR_ROLES: dict[str, str] = _AERIAL.extra["colour_roles"]  # type: ignore[assignment]
_RGB: tuple[str, ...] = _AERIAL.extra["natural_colour"]  # type: ignore[assignment]
_CIR: tuple[str, ...] = _AERIAL.extra["colour_infrared"]  # type: ignore[assignment]
_CIR_TOKENS = set(_AERIAL.extra["cir_tokens"])  # type: ignore[call-overload]


def band_roles(info: RasterInfo) -> dict[int, str]:
    """Role (registry aerial band) of each data band, from the file's own metadata, in this order of trust: band
    descriptions, a BAND_ORDER tag (`NIR,G,B,R`), a colour-infrared name with 3 bands (IGN's IRC sheets are NIR,
    R, G however they are colour-interpreted), colour interpretation (red, green, blue; one band left over in a
    4-band file is the NIR, as GDAL writes R, G, B, NIR). Three bands with nothing else are R, G, B, what any
    viewer assumes. A band whose role none of these gives is left out; `aerial_layout` refuses to guess it."""
    data = info.data_bands
    valid = set(modalities.band_names("aerial"))
    roles = {i: r for i in data if (r := modalities.canonical_band(info.descriptions[i - 1], "aerial")) in valid}
    if len(roles) == len(data):
        return roles
    order_tag = next((v for k, v in info.tags.items() if k.upper() == "BAND_ORDER"), None)
    if order_tag:
        names = [modalities.canonical_band(t, "aerial") for t in re.split(r"[,;\s]+", order_tag.strip()) if t]
        if len(names) == len(data) and all(n in valid for n in names):
            return dict(zip(data, names, strict=True))
    tokens = {t.upper() for t in re.split(r"[_\-\s.()]+", Path(info.path).stem)}
    if len(data) == 3 and tokens & _CIR_TOKENS and not roles:
        return dict(zip(data, _CIR, strict=True))
    interp = {i: _COLOUR_ROLES.get(info.colorinterp[i - 1]) for i in data if i - 1 < len(info.colorinterp)}
    for i in data:
        if i not in roles and interp.get(i) and interp[i] not in roles.values():
            roles[i] = interp[i]
    if len(data) == 3 and not roles:
        return dict(zip(data, _RGB, strict=True))
    left = [i for i in data if i not in roles]
    if len(left) == 1 and len(data) == 4 and set(roles.values()) == set(_RGB):
        roles[left[0]] = "NIR"
    return roles


def aerial_layout(info: RasterInfo) -> tuple[list[int], list[str]]:
    """The aerial bands to read in the registry's order (R, G, B, then NIR and elevation when present); a file
    whose bands' roles its metadata does not tell is refused with a message asking for the band order, never
    guessed: a colour-infrared sheet (NIR, R, G) read as R, G, B, NIR would be silently wrong."""
    m = modalities.get("aerial")
    data = info.data_bands  # an alpha band is transparency (drone orthomosaics): a mask, not data
    if len(data) not in m.accepted_counts:
        alpha = f" besides its alpha band {info.alpha_band}" if info.alpha_band else ""
        raise InputError(f"aerial file {info.path} has {len(data)} bands{alpha}; expected 3 to 5 "
                         f"({', '.join(m.band_names)})")
    roles = band_roles(info)
    by_role = {r: i for i, r in roles.items()}
    order = [b for b in m.band_names if b in by_role]
    if len(roles) < len(data) or order != list(m.band_names[:len(order)]):
        unknown = [str(i) for i in data if i not in roles]
        what = (f"band(s) {', '.join(unknown)} have no name or colour interpretation" if unknown
                else f"it has {', '.join(order)} but no {', '.join(b for b in m.band_names[:3] if b not in by_role)}")
        raise InputError(f"aerial file {info.path}: {what}; give the band order rather than have it guessed "
                         "(set the band descriptions, e.g. R,G,B,NIR or NIR,R,G,B, or the BAND_ORDER tag: "
                         "gdal_edit.py -mo BAND_ORDER=R,G,B,NIR FILE)")
    return [by_role[b] for b in order], order


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
