"""Sentinel-2 L2A products as the Copernicus Data Space delivers them: `.SAFE` folders or their `.zip`.

A product holds each band as a JPEG 2000 file at its native resolution (10 m: B02 B03 B04 B08; 20 m: B05 B06 B07
B8A B11 B12 and the scene classification SCL) and `MTD_MSIL2A.xml`, which gives the sensing time, the processing
baseline, the quantification value and, since baseline 04.00, the BOA_ADD_OFFSET (−1000) that must be added to
the digital numbers before dividing. Reading the JP2 files straight (through /vsizip/ for a zip) and applying
the metadata's offset in a VRT gives reflectance ×10000 whatever the baseline, so a series mixing products from
before and after 2022 is consistent; the SCL becomes the date's cloud mask without the user asking.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree  # nosec B405 - the product's own metadata file, parsed without entities

from runner import modalities
from runner.errors import InputError
from runner.geo.dates import date_from_name
from runner.geo.vrt import BandSource, build_vrt

_BAND_FILE = re.compile(r"_(B\d{2}|B8A|SCL)_(\d{2})m(?:\.jp2|\.tif)?$", re.IGNORECASE)
_TILE = re.compile(r"_T(\d{2}[A-Z]{3})_")


@dataclass(frozen=True)
class S2Product:
    """A resolved product: its per-date VRT (registry bands, reflectance ×10000) and SCL mask VRT."""

    path: str
    date: dt.date
    tile: str | None
    baseline: str | None
    offsets_applied: bool
    vrt: str
    mask: str | None


def is_s2_product(path: str) -> bool:
    """A `.SAFE` folder with an L1C/L2A metadata file, or a `.zip` holding one."""
    p = Path(path)
    if p.is_dir():
        return p.suffix.upper() == ".SAFE" or any(p.glob("MTD_MSIL*.xml"))
    if p.suffix.lower() == ".zip" and p.is_file():
        try:
            with zipfile.ZipFile(p) as z:
                return any(re.search(r"MTD_MSIL\w+\.xml$", n) for n in z.namelist())
        except zipfile.BadZipFile:
            return False
    return False


def _members(path: str) -> tuple[list[str], str, str]:
    """(relative member names, metadata member, GDAL prefix to open a member)."""
    p = Path(path).resolve()
    if p.is_dir():
        names = [str(q.relative_to(p)) for q in p.rglob("*") if q.is_file()]
        prefix = str(p) + "/"
    else:
        try:
            with zipfile.ZipFile(p) as z:
                names = z.namelist()
        except zipfile.BadZipFile as err:
            raise InputError(f"Sentinel-2 product {p.name} is not a readable zip ({err})") from None
        prefix = f"/vsizip/{p}/"
    mtd = [n for n in names if re.search(r"(^|/)MTD_MSIL\w+\.xml$", n)]
    if not mtd:
        raise InputError(f"Sentinel-2 product {p.name} has no MTD_MSIL2A.xml: not a complete .SAFE product")
    return names, min(mtd, key=len), prefix


def _read_member(path: str, member: str) -> bytes:
    p = Path(path)
    if p.is_dir():
        return (p / member).read_bytes()
    with zipfile.ZipFile(p) as z:
        return z.read(member)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_metadata(xml: bytes, name: str) -> dict:
    """The facts the reader needs from MTD_MSIL2A.xml: product type, start time, baseline, quantification value,
    offsets per band (by band_id, mapped through Spectral_Information or the MSI order)."""
    try:
        root = ElementTree.fromstring(xml)  # nosec B314 - local product metadata, no DTD/entities expanded
    except ElementTree.ParseError as err:
        raise InputError(f"Sentinel-2 product {name}: MTD_MSIL2A.xml is not valid XML ({err})") from None
    found: dict = {"offsets": {}, "band_ids": {}, "image_files": []}
    for el in root.iter():
        tag, text = _local(el.tag), (el.text or "").strip()
        if tag in ("PRODUCT_TYPE", "PROCESSING_BASELINE", "PRODUCT_START_TIME", "DATATAKE_SENSING_START"):
            found.setdefault(tag, text)
        elif tag in ("BOA_QUANTIFICATION_VALUE", "QUANTIFICATION_VALUE"):
            found.setdefault("quantification", float(text))
        elif tag == "BOA_ADD_OFFSET":
            found["offsets"][int(el.get("band_id", "-1"))] = float(text)
        elif tag == "Spectral_Information" and el.get("bandId") is not None:
            found["band_ids"][int(el.get("bandId"))] = el.get("physicalBand", "")
        elif tag == "IMAGE_FILE":
            found["image_files"].append(text)
    return found


def read_product(path: str) -> S2Product:
    """Resolve one product into a VRT of the registry's S2 bands (reflectance ×10000) and its SCL mask."""
    name = Path(path).name
    names, mtd_member, prefix = _members(path)
    meta = parse_metadata(_read_member(path, mtd_member), name)
    ptype = meta.get("PRODUCT_TYPE", "")
    if "2A" not in ptype and "L2A" not in Path(mtd_member).name.upper():
        raise InputError(f"Sentinel-2 product {name} is {ptype or 'not L2A'} (top of atmosphere); the model reads "
                         "surface reflectance: download the L2A product")
    s2 = modalities.get("s2")
    msi_ids: tuple[str, ...] = s2.extra["msi_band_ids"]  # type: ignore[assignment]
    quant = meta.get("quantification") or 10000.0
    offsets = {modalities.canonical_band(meta["band_ids"].get(i) or msi_ids[i], "s2"): v
               for i, v in meta["offsets"].items() if 0 <= i < len(msi_ids)}
    files: dict[str, tuple[int, str]] = {}  # band → (resolution, member)
    listed = list(meta["image_files"])
    candidates = [n for n in names if n.lower().endswith((".jp2", ".tif"))] or listed
    for member in candidates:
        m = _BAND_FILE.search(member)
        if not m or "/QI_DATA/" in member:
            continue
        band = modalities.canonical_band(m.group(1), "s2")
        res = int(m.group(2))
        if band not in files or res < files[band][0]:
            files[band] = (res, member)
    missing = [b for b in s2.band_names if b not in files]
    if missing:
        fb = _file_band(missing[0])
        raise InputError(f"Sentinel-2 product {name} has no band {', '.join(missing)}: no *_{fb}_10m.jp2 or "
                         f"*_{fb}_20m.jp2 in its IMG_DATA (an incomplete download?)")
    ratio = 10000.0 / quant
    sources = [BandSource(prefix + files[b][1], 1, b, scale=ratio, offset=offsets.get(b, 0.0) * ratio, nodata=0)
               for b in s2.band_names]
    start = meta.get("PRODUCT_START_TIME") or meta.get("DATATAKE_SENSING_START") or ""
    date = _date(start) or date_from_name(name)
    if date is None:
        raise InputError(f"Sentinel-2 product {name}: no sensing date in MTD_MSIL2A.xml or the name")
    tile = _TILE.search(name) or _TILE.search(files["B2"][1])
    stem = Path(name).name.removesuffix(".zip").removesuffix(".SAFE")
    tags = {"ACQUISITION_DATETIME": start or date.isoformat(), "PRODUCT_ID": stem,
            "PROCESSING_BASELINE": meta.get("PROCESSING_BASELINE", "")}
    vrt = build_vrt(sources, stem, f"Sentinel-2 product {name}", tags=tags)
    scl = files.get("SCL") or _scl(names)
    mask = build_vrt([BandSource(prefix + scl[1], 1, str(s2.extra["scl_band"]))], stem + "_SCL",
                     f"Sentinel-2 product {name}") if scl else None
    return S2Product(path, date, tile.group(1) if tile else None, meta.get("PROCESSING_BASELINE"),
                     bool(offsets) and any(v != 0 for v in offsets.values()), vrt, mask)


def _file_band(band: str) -> str:
    """B5 → B05 as the product's file names spell it; B8A and B11 unchanged."""
    return f"B{band[1:].zfill(2)}" if band[1:].isdigit() else band


def _scl(names: list[str]) -> tuple[int, str] | None:
    hits = [n for n in names if re.search(r"_SCL_\d{2}m\.(jp2|tif)$", n, re.IGNORECASE)]
    return (20, min(hits)) if hits else None


def _date(text: str) -> dt.date | None:
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
