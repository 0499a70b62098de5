"""open_scene: validate the user's layers and put them on one patch grid (CRS, extent, dates, conventions)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import RasterioError

from runner import modalities
from runner.errors import InputError
from runner.geo.dated_raster import DatedRaster
from runner.geo.grid import GridSpec, check_crs, intersect, snap_outward, transform_bounds
from runner.geo.inputs import (
    RasterInfo,
    alpha_holds_data,
    band_layout,
    check_series,
    raster_info,
)
from runner.geo.normalise import NormStats
from runner.geo.scene_reader import Scene


def select_dates(rasters: list[DatedRaster], max_dates: int) -> list[DatedRaster]:
    """At most `max_dates`, evenly spread over the series (deterministic, so inference is repeatable)."""
    if len(rasters) <= max_dates:
        return rasters
    idx = np.unique(np.linspace(0, len(rasters) - 1, max_dates).round().astype(int))
    return [rasters[i] for i in idx]


def _sample(path: str, index: int) -> np.ndarray:
    try:
        with rasterio.open(path) as src:
            h, w = min(src.height, 256), min(src.width, 256)
            data = src.read(index, out_shape=(h, w), masked=True).astype("float64")
    except RasterioError as err:
        raise InputError(f"file {path} is damaged or truncated: reading failed ({err})") from None
    values = data.compressed()
    return values[np.isfinite(values)]


def _localise(series: list[list[DatedRaster] | None], bounds: tuple[float, float, float, float],
              crs: str) -> tuple:
    """Each series with its remote sources swapped for cached chunks of `bounds`; and how many were remote."""
    from runner.geo.remote_cache import localise

    fetched = 0
    out: list = []
    for rasters in series:
        if rasters is None:
            out.append(None)
            continue
        local = []
        for r in rasters:
            path = localise(r.path, bounds, crs) if r.path.endswith(".vrt") else r.path
            mask = localise(r.mask, bounds, crs) if r.mask and r.mask.endswith(".vrt") else r.mask
            fetched += path != r.path
            local.append(replace(r, path=path, mask=mask) if (path, mask) != (r.path, r.mask) else r)
        out.append(local)
    return (*out, fetched)


def detect_conversions(s1: list[RasterInfo], s2: list[RasterInfo]) -> dict:
    """S2 as floats 0..1 → ×10000; S1 in linear power → dB (negative medians mean dB already)."""
    conv: dict = {"s2_scale": 1, "s1_linear": False}
    if s2 and s2[0].dtype.startswith("float"):
        vals = np.concatenate([_sample(i.path, 1) for i in s2[:3]])
        if len(vals) and np.median(vals) < 2.0:
            conv["s2_scale"] = modalities.get("s2").extra["scale"]
    if s1:
        vals = np.concatenate([_sample(i.path, 1) for i in s1[:3]])
        if len(vals) and np.median(vals) > 0 and np.percentile(vals, 95) < 50:
            conv["s1_linear"] = True
    return conv


def open_scene(aerial: str | list[str] | None, s1: list[DatedRaster], s2: list[DatedRaster], *,
               extent: tuple[float, float, float, float] | None = None, extent_crs: str | None = None,
               patch_size: float = 10.0, tile_patches: int = 6, aerial_px: int = 50, ts_px: int = 1,
               s2_masks: list[DatedRaster] | None = None, max_dates: int = 50,
               norm: NormStats | None = None, crs: str | None = None) -> Scene:
    """Validate the user's layers and put them on one patch grid. `aerial` may be several files (products and
    sheets, runner/geo/aerial_parts.py); S2 dates that came with their own mask (a product's SCL) use it unless
    `s2_masks` are given; what the readers recognised goes to `scene.notices` for the job's log."""
    if not (aerial or s1 or s2):
        raise InputError("no imagery given: set at least one of aerial, s1, s2")
    from runner.geo.forms import describe

    notices = describe(list(s2), "s2") + describe(list(s1), "s1")
    if isinstance(aerial, (list, tuple)):
        from runner.geo.aerial_parts import combine_aerial

        aerial, combined = combine_aerial(list(aerial)) if aerial else (None, [])
        notices += combined
    s2 = select_dates(list(s2), max_dates)
    s1 = select_dates(list(s1), max_dates)
    if s2_masks is None and any(r.mask for r in s2):
        s2_masks = [DatedRaster(r.mask, r.date) for r in s2 if r.mask]
    infos = {"s2": [raster_info(r.path, "Sentinel-2") for r in s2],
             "s1": [raster_info(r.path, "Sentinel-1") for r in s1]}
    aerial_info = raster_info(aerial, "aerial") if aerial else None
    layouts = {m: check_series(infos[m], m) for m in ("s1", "s2") if infos[m]}
    alpha_is_data = bool(aerial_info and alpha_holds_data(aerial_info))
    if alpha_is_data:
        notices.append(f"aerial file {Path(aerial).name}: band {aerial_info.alpha_band} is flagged as alpha "
                       "(transparency) but holds data, so it is read as a data band (to make that explicit: "
                       f"gdal_edit.py -colorinterp_{aerial_info.alpha_band} undefined {Path(aerial).name})")
        aerial_info = replace(aerial_info, alpha_band=None)
    aerial_layout = band_layout(aerial_info, "aerial") if aerial_info else None

    first = (infos["s2"] or infos["s1"] or [aerial_info])[0]
    grid_crs = check_crs(crs or first.crs, f"CRS of {Path(first.path).name}")
    all_infos = ([aerial_info] if aerial_info else []) + infos["s1"] + infos["s2"]
    footprints = {i.path: transform_bounds(i.bounds, i.crs, grid_crs) for i in all_infos}
    if extent is not None:
        if extent_crs is None:
            raise InputError("extent_crs is required with an extent")
        try:
            area = transform_bounds(tuple(extent), extent_crs, grid_crs)
        except Exception as err:  # pyproj errors for unknown CRSs
            raise InputError(f"extent_crs {extent_crs!r} cannot be used ({err})") from None
        for path, fp in footprints.items():
            if intersect(fp, area) is None:
                raise InputError(f"layer {Path(path).name} does not overlap the extent {list(extent)} "
                                 f"({extent_crs}); check the extent or the layer's CRS")
    else:
        ref = footprints[first.path]
        for path, fp in footprints.items():
            if intersect(ref, fp) is None:
                raise InputError(f"layer {Path(path).name} does not overlap {Path(first.path).name}; the layers must "
                                 "cover the same ground (check their CRS)")
        area = ref
        for path, fp in footprints.items():
            area = intersect(area, fp) if area is not None else None
            if area is None:
                raise InputError(f"layer {Path(path).name} leaves no ground common to all layers")
    anchor = footprints[first.path][0], footprints[first.path][3]
    xmin, ymin, xmax, ymax = snap_outward(*area, patch_size, anchor=anchor)
    grid = GridSpec(grid_crs, xmin, ymin, xmax, ymax, patch_size, tile_patches, aerial_px, ts_px)
    # COGs behind URLs (STAC items): the extent's chunks fetched now, once, into the cache; read from disk after
    s1, s2, s2_masks, fetched = _localise([s1, s2, s2_masks], (xmin, ymin, xmax, ymax), grid_crs)
    if fetched:
        infos = {"s2": [raster_info(r.path, "Sentinel-2") for r in s2],
                 "s1": [raster_info(r.path, "Sentinel-1") for r in s1]}
        notices.append(f"{fetched} remote rasters read through the local cache (runner/geo/remote_cache.py)")
    series = {m: ([r for r in (s1 if m == "s1" else s2)], layouts[m][0], layouts[m][1]) for m in layouts}
    aerial_spec = (aerial, aerial_layout[0], aerial_layout[1], alpha_is_data) if aerial_info else None
    if norm is not None:
        checks = [("aerial", aerial_layout[1] if aerial_layout else None)] + [(m, layouts[m][1]) for m in layouts]
        for m, names in checks:
            if names is not None and m in norm.bands and len(norm.bands[m]) != len(names):
                raise InputError(f"{m}: the model expects {len(norm.bands[m])} bands ({', '.join(norm.bands[m])}) "
                                 f"but the input has {len(names)}")
    scene = Scene(grid, aerial_spec, series, s2_masks, norm, detect_conversions(infos["s1"], infos["s2"]))
    scene.notices.extend(notices)
    return scene
