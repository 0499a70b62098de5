"""Aerial imagery as mapping agencies deliver it: several products and sheets combined into one aerial input.

IGN delivers natural colour (BD ORTHO RVB: R, G, B) and colour infrared (BD ORTHO IRC: NIR, R, G) as separate
products, an elevation model (DSM/nDSM) as a third, each tiled into sheets. The model wants one raster with R, G,
B, then NIR and elevation. Each file's bands get their roles from its own metadata (runner/geo/inputs.py:
band_roles); files with the same roles are sheets of one product, mosaicked; each role is taken from the first
product that has it (so R, G, B come from the natural-colour product, NIR from the infrared one); the result is
one VRT in the registry's order on the finest product's pixel size over the first product's footprint.
"""

from __future__ import annotations

import re
from pathlib import Path

from runner import modalities
from runner.errors import InputError
from runner.geo.inputs import band_roles, raster_info
from runner.geo.vrt import BandSource, build_vrt

_ELEVATION_TOKENS = {"DSM", "NDSM", "DEM", "DTM", "MNS", "MNT", "MNH", "CHM", "ELEVATION", "HEIGHT", "LIDAR"}


def _roles(path: str) -> dict[int, str]:
    info = raster_info(path, "aerial")
    roles = band_roles(info)
    if len(info.data_bands) == 1 and not roles:
        tokens = {t.upper() for t in re.split(r"[_\-\s.()]+", Path(path).stem)}
        if tokens & _ELEVATION_TOKENS or info.dtype.startswith("float"):
            return {info.data_bands[0]: "ELEVATION"}
    if len(roles) < len(info.data_bands):
        unknown = ", ".join(str(i) for i in info.data_bands if i not in roles)
        raise InputError(f"aerial file {path}: band(s) {unknown} have no name or colour interpretation telling "
                         "which is which; give the band order (set the band descriptions, or the BAND_ORDER tag: "
                         "gdal_edit.py -mo BAND_ORDER=NIR,R,G FILE) rather than have it guessed")
    return roles


def combine_aerial(paths: list[str]) -> tuple[str, list[str]]:
    """One aerial raster from several files (products and their sheets) and a line for the job's log."""
    if len(paths) == 1:
        return paths[0], []
    order = modalities.band_names("aerial")
    products: dict[tuple[str, ...], list[tuple[str, dict[int, str]]]] = {}
    for p in paths:
        roles = _roles(p)
        products.setdefault(tuple(sorted(roles.values(), key=order.index)), []).append((p, roles))
    # natural colour first: R, G, B come from the product that has blue, then whatever else gives them
    ranked = sorted(products.items(), key=lambda kv: ("B" not in kv[0], list(products).index(kv[0])))
    bands: dict[str, list[BandSource]] = {}
    used: dict[str, str] = {}
    for key, sheets in ranked:
        for role in key:
            if role not in bands:
                bands[role] = [BandSource(p, next(i for i, r in roles.items() if r == role), role)
                               for p, roles in sheets]
                used[role] = Path(sheets[0][0]).name + (f" (+{len(sheets) - 1} sheets)" if len(sheets) > 1 else "")
    present = [b for b in order if b in bands]
    if present != list(order[:len(present)]) or len(present) < 3:
        lacking = [b for b in order[:max(3, len(present))] if b not in bands]
        raise InputError(f"aerial files {', '.join(Path(p).name for p in paths[:4])}: no {', '.join(lacking)} band "
                         "among them; the model reads R, G, B, then NIR, then elevation")
    first = ranked[0][1][0][0]
    vrt = build_vrt([bands[b] for b in present], f"aerial_{Path(first).stem}", "aerial", same_footprint=False)
    by_source: dict[str, list[str]] = {}
    for role in present:
        by_source.setdefault(used[role], []).append(role)
    note = (f"aerial combined from {len(paths)} files: " +
            "; ".join(f"{', '.join(roles)} from {source}" for source, roles in by_source.items()))
    return vrt, [note]
