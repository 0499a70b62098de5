"""Label polygons → patch labels: any OGR vector in any CRS, a class field (text or integer), optional colours.

A patch takes the class covering the largest part of it if that part reaches `threshold` (default half), else it is
ignored (−1): mixed patches along polygon edges would teach the model noise. Tiles also get multi-label sets
(classes covering ≥ 7 % of the tile, as TreeSatAI-TS defines presence). Splits are by spatial blocks of tiles, so
validation scores are not flattered by neighbours of training patches.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio.features
import shapely
from pyproj import CRS, Transformer

from runner.errors import InputError
from runner.geo.grid import GridSpec, TileWindow

PALETTE = ("#1b7837", "#a6dba0", "#e6ab02", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#1f78b4", "#b15928",
           "#fb9a99", "#6a3d9a", "#ffff99", "#a6cee3", "#b2df8a", "#fdbf6f", "#cab2d6", "#8dd3c7", "#bebada",
           "#80b1d3", "#fccde5")


@dataclass(frozen=True)
class ClassInfo:
    value: int   # 1..255 in the class map (0 = nodata)
    name: str
    color: str   # "#rrggbb"


@dataclass
class LabelMap:
    classes: list[ClassInfo]
    labels: np.ndarray     # (n_rows, n_cols) int16: index into classes, −1 = ignore
    fractions: np.ndarray  # (n_rows, n_cols, K) float16: cover of each class per patch
    grid: GridSpec
    tile_threshold: float = 0.07

    def labels_for(self, tiles: list[TileWindow], p: int) -> tuple[np.ndarray, np.ndarray]:
        """(B, P, P) int64 patch labels (−1 outside the grid) and (B, K) float32 tile multi-label presence."""
        k = len(self.classes)
        lab = np.full((len(tiles), p, p), -1, dtype=np.int64)
        tile = np.zeros((len(tiles), k), dtype=np.float32)
        for i, t in enumerate(tiles):
            sub = self.labels[t.row:t.row + p, t.col:t.col + p]
            lab[i, :sub.shape[0], :sub.shape[1]] = sub
            frac = self.fractions[t.row:t.row + p, t.col:t.col + p].astype(np.float32)
            tile[i] = (frac.sum(axis=(0, 1)) / (p * p)) >= self.tile_threshold
        return lab, tile


def _read_vector(path: str, class_field: str, color_field: str | None):
    # imported here: classifying needs no vector reading, so the GPU check's offline wheels can leave pyogrio out
    import pyogrio
    import pyogrio.raw as ogr_raw
    from pyogrio.errors import DataSourceError

    if not Path(path).exists():
        raise InputError(f"label file {path} does not exist")
    try:
        info = pyogrio.read_info(path)
    except (DataSourceError, Exception) as err:  # pyogrio raises several types for non-vectors
        raise InputError(f"label file {path} is not a vector layer GDAL can read ({err})") from None
    fields = list(info["fields"])
    if class_field not in fields:
        raise InputError(f"label file {path} has no field {class_field!r}; its fields are: "
                         f"{', '.join(fields) or '(none)'}")
    if color_field and color_field not in fields:
        raise InputError(f"label file {path} has no colour field {color_field!r}; its fields are: {', '.join(fields)}")
    columns = [class_field] + ([color_field] if color_field else [])
    meta, _, geometry, values = ogr_raw.read(path, columns=columns)
    if geometry is None or len(geometry) == 0:
        raise InputError(f"label file {path} has no features: draw some polygons first")
    if not meta.get("crs"):
        raise InputError(f"label file {path} has no CRS: assign one")
    return meta, shapely.from_wkb(geometry), values


def _classes_from_values(raw: np.ndarray, colors: np.ndarray | None, given: list[ClassInfo] | None) -> list[ClassInfo]:
    if given is not None:
        return list(given)
    names = sorted({str(v) for v in raw if v is not None and str(v).strip() != ""},
                   key=lambda s: (0, int(s)) if s.lstrip("-").isdigit() else (1, s))
    if len(names) > 255:
        raise InputError(f"{len(names)} classes: at most 255 fit a class map")
    color_of: dict[str, str] = {}
    if colors is not None:
        for v, c in zip(raw, colors, strict=True):
            if c and isinstance(c, str) and c.startswith("#") and len(c) in (7, 9):
                color_of.setdefault(str(v), c[:7])
    return [ClassInfo(i + 1, n, color_of.get(n, PALETTE[i % len(PALETTE)])) for i, n in enumerate(names)]


def rasterise_labels(path: str, class_field: str, grid: GridSpec, color_field: str | None = None,
                     classes: list[ClassInfo] | None = None, threshold: float = 0.5, subdiv: int = 5) -> LabelMap:
    meta, geoms, values = _read_vector(path, class_field, color_field)
    raw = values[0]
    cls = _classes_from_values(raw, values[1] if color_field else None, classes)
    index = {c.name: i for i, c in enumerate(cls)}
    src_crs, dst_crs = CRS.from_user_input(meta["crs"]), CRS.from_user_input(grid.crs)
    if src_crs != dst_crs:
        tr = Transformer.from_crs(src_crs, dst_crs, always_xy=True)
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    box = shapely.box(grid.xmin, grid.ymin, grid.xmax, grid.ymax)
    inside = shapely.intersects(geoms, box)
    if not inside.any():
        gx = shapely.total_bounds(geoms)
        raise InputError(f"none of the {len(geoms)} polygons of {path} overlaps the imagery extent "
                         f"{[round(v) for v in (grid.xmin, grid.ymin, grid.xmax, grid.ymax)]} (polygons cover "
                         f"{[round(v) for v in gx]} in the grid's CRS)")
    shapes = [(g, index[str(v)] + 1) for g, v, ok in zip(geoms, raw, inside, strict=True)
              if ok and g is not None and str(v) in index]
    h, w = grid.n_rows * subdiv, grid.n_cols * subdiv
    fine = rasterio.features.rasterize(shapes, out_shape=(h, w), transform=grid.pixel_transform(subdiv), fill=0,
                                       dtype="uint8")
    k = len(cls)
    onehot = np.zeros((grid.n_rows, grid.n_cols, k), dtype=np.float32)
    blocks = fine.reshape(grid.n_rows, subdiv, grid.n_cols, subdiv)
    for i in range(k):
        onehot[..., i] = (blocks == i + 1).mean(axis=(1, 3))
    best = onehot.argmax(axis=-1)
    cover = onehot.max(axis=-1)
    labels = np.where(cover >= threshold, best, -1).astype(np.int16)
    return LabelMap(cls, labels, onehot.astype(np.float16), grid)


def check_trainable(labels: LabelMap, path: str, field: str) -> None:
    """Training needs at least two classes with labelled patches; say which classes are there."""
    present = sorted({int(v) for v in np.unique(labels.labels) if v >= 0})
    if not present:
        raise InputError(f"labels {path}: no patch is covered at least half by a polygon of field {field!r}; "
                         "draw larger polygons (a patch is the model's cell, e.g. 10 m)")
    if len(present) < 2:
        raise InputError(f"labels {path}: only one class ({labels.classes[present[0]].name}) has labelled patches; "
                         "at least 2 classes are needed to train a classifier")


def tiles_with_labels(labels: LabelMap, grid: GridSpec) -> list[TileWindow]:
    p = grid.tile_patches
    return [t for t in grid.tiles() if (labels.labels[t.row:t.row + p, t.col:t.col + p] >= 0).any()]


def split_blocks(tiles: list[TileWindow], val_fraction: float = 0.25, seed: int = 0,
                 block_patches: int = 12) -> tuple[list[TileWindow], list[TileWindow]]:
    """Spatially disjoint split: tiles grouped in square blocks of `block_patches` patches (2×2 tiles of 6);
    whole blocks go to validation until `val_fraction` of the tiles is reached, at least one block stays training."""
    blocks: dict[tuple[int, int], list[TileWindow]] = {}
    for t in tiles:
        blocks.setdefault((t.row // block_patches, t.col // block_patches), []).append(t)
    keys = sorted(blocks)
    random.Random(seed).shuffle(keys)  # nosec B311 - a reproducible data split, not security
    target = round(len(tiles) * val_fraction)
    val_keys: set[tuple[int, int]] = set()
    n_val = 0
    for key in keys[:-1]:  # the last block always trains
        if n_val >= max(target, 1):
            break
        val_keys.add(key)
        n_val += len(blocks[key])

    def order(t: TileWindow) -> tuple[int, int]:
        return t.row, t.col

    train = sorted((t for k in keys if k not in val_keys for t in blocks[k]), key=order)
    val = sorted((t for k in val_keys for t in blocks[k]), key=order)
    return train, val
