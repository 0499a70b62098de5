"""Geodata pipeline: users' rasters and polygons onto one patch grid, streamed as tiles; class maps back out."""

from runner.geo.dated_raster import DatedRaster
from runner.geo.forms import expand_series
from runner.geo.grid import GridSpec, TileWindow
from runner.geo.labels import ClassInfo, LabelMap, check_trainable, rasterise_labels, split_blocks, tiles_with_labels
from runner.geo.normalise import NormStats
from runner.geo.scene_open import open_scene
from runner.geo.scene_reader import Scene
from runner.geo.writer import ClassMapWriter

__all__ = ["ClassInfo", "ClassMapWriter", "DatedRaster", "GridSpec", "LabelMap", "NormStats", "Scene", "TileWindow",
           "check_trainable", "expand_series", "open_scene", "rasterise_labels", "split_blocks", "tiles_with_labels"]
