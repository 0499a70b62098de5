"""What pretrain, finetune and classify share: turning a spec into a Scene, size checks, cards."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from runner import __version__
from runner.config import Limits
from runner.errors import InputError, ResourceError
from runner.modalities import get as _modality
from runner.specs import InputsSpec

# Aerial pixels per patch side by model size (the registry, runner/modalities.py).
DEFAULT_AERIAL_PX = dict(_modality("aerial").px_per_patch)


def series_from_spec(spec: InputsSpec) -> dict[str, Any]:
    """Expand the spec's S1/S2 paths (folders, globs, files) into dated rasters; masks stay aligned by date."""
    from runner.geo import expand_series

    s2 = expand_series(spec.s2, "s2", [d.isoformat() for d in spec.s2_dates] if spec.s2_dates else None) \
        if spec.s2 else []
    s1 = expand_series(spec.s1, "s1", [d.isoformat() for d in spec.s1_dates] if spec.s1_dates else None) \
        if spec.s1 else []
    masks = expand_series(spec.s2_masks, "s2_mask") if spec.s2_masks else None
    return {"aerial": spec.aerial, "s1": s1, "s2": s2, "s2_masks": masks}


def open_scene_for(spec: InputsSpec, *, tile_patches: int, aerial_px: int, ts_px: int = 1,
                   norm: Any = None, modalities: list[str] | None = None, ctx: Any = None) -> Any:
    """Open the spec's imagery on one grid; `modalities` restricts to those a model knows. What the reader
    decided about the files (e.g. an alpha flag read as data) goes to the job's log through `ctx`."""
    from runner.geo import open_scene

    series = series_from_spec(spec)
    if modalities is not None:
        extra = [m for m in ("aerial", "s1", "s2") if series[m] and m not in modalities]
        if extra:
            raise InputError(f"the model was trained without {', '.join(extra)}; remove that input or train a "
                             f"model with it (the model knows {', '.join(modalities)})")
        if not any(series[m] for m in modalities):
            raise InputError(f"none of the model's modalities ({', '.join(modalities)}) was given")
    scene = open_scene(series["aerial"], series["s1"], series["s2"], extent=spec.extent, extent_crs=spec.extent_crs,
                       patch_size=spec.patch_size, tile_patches=tile_patches, aerial_px=aerial_px, ts_px=ts_px,
                       s2_masks=series["s2_masks"], max_dates=spec.max_dates, norm=norm)
    check_extent_size(scene.grid)
    if ctx is not None:
        for notice in scene.notices:
            ctx.event("input", notice)
    return scene


def check_extent_size(grid: Any, limits: Limits | None = None) -> None:
    """Refuse before starting an extent beyond the configured limit, saying how big it is."""
    limits = limits or Limits()
    area_km2 = grid.area_km2
    if area_km2 > limits.max_extent_km2:
        raise ResourceError(f"the extent is {area_km2:,.3g} km² ({grid.n_rows}×{grid.n_cols} patches), beyond this "
                            f"runner's limit of {limits.max_extent_km2:,.3g} km² (OMNISAT_MAX_EXTENT_KM2); "
                            "choose a smaller extent or raise the limit")


@contextmanager
def cached_tiles(scene: Any, ctx: Any) -> Iterator[Any]:
    """Training reads each tile once and later epochs load it from the job's folder (runner/geo/tile_cache.py).

    Set after the scene's normalisation is fixed (the cache holds normalised arrays); the files are removed when
    the block ends, however it ends, and the job's log says what the cache held."""
    from runner import distributed as dist
    from runner.geo.tile_cache import TileCache

    cache = TileCache(ctx.work_dir / f"tile-cache-rank{dist.info().rank}")
    scene.tile_cache = cache
    try:
        yield cache
    finally:
        scene.tile_cache = None
        stats = cache.stats()
        cache.clear()
        if stats["hits"]:
            note = (f"; the {cache.budget / 2**30:.1f} GB budget (OMNISAT_TILE_CACHE_GB) was reached, later tiles "
                    "were read every epoch" if stats["full"] else "")
            ctx.event("tile cache", f"{stats['tiles']} tiles read once ({stats['mb']:,.0f} MB), "
                      f"{stats['hits']:,} later reads from the cache{note}", **stats)


def base_card(spec: InputsSpec, scene: Any, *, name: str, kind: str, size: str, cfg: Any,
              base_model: str | None) -> dict[str, Any]:
    """The model card fields every model carries: what it reads and how, so inference matches training."""
    from dataclasses import asdict, is_dataclass

    grid = scene.grid
    return {
        "name": name,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "kind": kind,
        "size": size,
        "config": asdict(cfg) if is_dataclass(cfg) else dict(cfg),
        "modalities": list(scene.modalities),
        "bands": {m: list(b) for m, b in scene.bands.items()},
        "norm": scene.norm.to_dict() if scene.norm is not None else None,
        "grid": {"patch_size": grid.patch_size, "tile_patches": grid.tile_patches, "aerial_px": grid.aerial_px,
                 "ts_px": grid.ts_px, "max_dates": spec.max_dates, "crs": grid.crs},
        "date_encoding": "day_of_year",
        "dates": {m: [d.isoformat() for d in ds] for m, ds in scene.dates.items()},
        "base_model": base_model,
        "runner_version": __version__,
    }


def finite_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: replace non-finite numbers by None before they reach a card or the API."""
    def clean(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        if isinstance(v, (float, np.floating)):
            return float(v) if math.isfinite(v) else None
        if isinstance(v, np.integer):
            return int(v)
        if isinstance(v, np.ndarray):
            return clean(v.tolist())
        return v
    return clean(metrics)
