"""Acquisition dates from layer names or GDAL metadata (pure Python; osgeo only for the metadata)."""

from __future__ import annotations

import datetime as dt
import re

_PATTERNS = (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})T\d{6}"), re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"),
             re.compile(r"(?<!\d)(\d{4})_(\d{2})_(\d{2})(?!\d)"), re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"))


def date_from_name(name: str) -> dt.date | None:
    for pattern in _PATTERNS:
        for m in pattern.finditer(name):
            try:
                d = dt.date(*(int(g) for g in m.groups()))
            except ValueError:
                continue
            if 1970 <= d.year <= 2100:
                return d
    return None


def date_from_metadata(path: str) -> dt.date | None:
    try:
        from osgeo import gdal
    except ImportError:
        return None
    ds = gdal.Open(path)
    if ds is None:
        return None
    md = {k.upper(): v for k, v in (ds.GetMetadata() or {}).items()}
    for key in ("ACQUISITION_DATETIME", "ACQUISITION_DATE", "DATE_ACQUIRED", "TIFFTAG_DATETIME"):
        m = re.match(r"\s*(\d{4})[-:](\d{2})[-:](\d{2})", md.get(key, ""))
        if m:
            return dt.date(*(int(g) for g in m.groups()))
    return None


def layer_date(name: str, source: str) -> dt.date | None:
    """The layer name first (what the user sees), then the file name, then the file's metadata."""
    return date_from_name(name) or date_from_name(source.split("/")[-1]) or date_from_metadata(source)


def date_problems(dates: list[dt.date | None]) -> list[str]:
    """Per row: '' or why the date is a problem (missing, duplicate) — shown in the dock's date column."""
    seen: dict[dt.date, int] = {}
    out = []
    for i, d in enumerate(dates):
        if d is None:
            out.append("no date: type one (YYYY-MM-DD)")
        elif d in seen:
            out.append(f"same date as row {seen[d] + 1}")
        else:
            out.append("")
        if d is not None:
            seen.setdefault(d, i)
    return out
