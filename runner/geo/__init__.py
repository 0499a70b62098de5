"""Geodata pipeline: users' rasters and polygons onto one patch grid, streamed as tiles; class maps back out."""

import os

# GDAL's block cache defaults to 5 % of RAM; the pipeline reads each window once, so a small cache loses nothing
# and keeps the runner's memory bounded (an admin can still set GDAL_CACHEMAX).
os.environ.setdefault("GDAL_CACHEMAX", "128")

from runner.geo.grid import GridSpec, TileWindow
from runner.geo.inputs import DatedRaster, expand_series
from runner.geo.labels import ClassInfo, LabelMap, check_trainable, rasterise_labels, split_blocks, tiles_with_labels
from runner.geo.normalise import NormStats
from runner.geo.scene_open import open_scene
from runner.geo.scene_reader import Scene
from runner.geo.writer import ClassMapWriter

__all__ = ["ClassInfo", "ClassMapWriter", "DatedRaster", "GridSpec", "LabelMap", "NormStats", "Scene", "TileWindow",
           "check_trainable", "expand_series", "open_scene", "rasterise_labels", "split_blocks", "tiles_with_labels"]
