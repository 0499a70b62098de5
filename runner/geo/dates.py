"""Acquisition dates of rasters: from file names (YYYYMMDD, YYYY-MM-DD, Sentinel product names) or GDAL tags."""

from __future__ import annotations

import datetime as dt
import re

# Sentinel product names carry the sensing time as YYYYMMDDTHHMMSS; plain names as YYYYMMDD or YYYY-MM-DD.
_PATTERNS = (
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})T\d{6}"),
    re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})_(\d{2})_(\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"),
)
_TAGS = ("ACQUISITION_DATETIME", "ACQUISITION_DATE", "DATE_ACQUIRED", "SENSING_TIME", "DATETIME", "TIFFTAG_DATETIME")


def _valid(y: str, m: str, d: str) -> dt.date | None:
    try:
        date = dt.date(int(y), int(m), int(d))
    except ValueError:
        return None
    return date if 1970 <= date.year <= 2100 else None


def date_from_name(name: str) -> dt.date | None:
    """The first plausible date in a file or layer name, or None."""
    for pattern in _PATTERNS:
        for match in pattern.finditer(name):
            date = _valid(*match.groups())
            if date is not None:
                return date
    return None


def date_from_tags(tags: dict[str, str]) -> dt.date | None:
    """A date from GDAL metadata (ISO, or TIFF's 'YYYY:MM:DD HH:MM:SS')."""
    upper = {k.upper(): v for k, v in tags.items()}
    for key in _TAGS:
        value = upper.get(key)
        if not value:
            continue
        m = re.match(r"\s*(\d{4})[-:](\d{2})[-:](\d{2})", value)
        if m and (date := _valid(*m.groups())) is not None:
            return date
    return None


def day_of_year(date: dt.date) -> int:
    return date.timetuple().tm_yday
