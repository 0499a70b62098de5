"""Scene: the user's layers opened on one patch grid, read as batches of tiles, never as whole-scene arrays.

Every raster is wrapped in a WarpedVRT onto the grid (its CRS, the modality's pixel size), so reprojection happens
on the fly, window by window. A batch of adjacent tiles is read as one window per raster; memory is bounded by the
batch, not by the extent.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from runner import modalities
from runner.errors import InputError
from runner.geo.aligned import aligned_offset, read_aligned
from runner.geo.block_cache import ensure_block_cache, needed_cache
from runner.geo.dated_raster import DatedRaster
from runner.geo.dates import day_of_year
from runner.geo.grid import GridSpec, TileWindow
from runner.geo.no_alpha import without_alpha_vrt
from runner.geo.normalise import NormStats, robust_stats
from runner.geo.tile_cache import TileCache

TS_MODALITIES = modalities.TS_MODALITIES
SCL_INVALID: tuple[int, ...] = modalities.get("s2").extra["scl_invalid"]  # type: ignore[assignment]


def _resampling(modality: str) -> Resampling:
    """How the registry says a modality is put on the grid (average for aerial, bilinear for the series)."""
    return Resampling[modalities.get(modality).resampling]


class Layer:
    """One raster on the grid at `px` pixels per patch, band subset `indexes` (1-based): read directly when it
    already lies on the grid's pixels (runner/geo/aligned.py), else warped window by window.

    `direct=False` forces the warper (tests compare the two); `ignore_alpha` reads a band flagged as alpha as
    data (runner/geo/no_alpha.py)."""

    def __init__(self, path: str, grid: GridSpec, px: int, indexes: list[int], resampling: Resampling,
                 role: str, direct: bool = True, ignore_alpha: bool = False) -> None:
        self.path, self.role, self.indexes = path, role, indexes
        self.vrt: WarpedVRT | None = None
        try:
            self.src = rasterio.open(without_alpha_vrt(path) if ignore_alpha else path)
            transform = grid.pixel_transform(px)
            self.width = max(grid.n_cols, grid.tile_patches) * px
            self.height = max(grid.n_rows, grid.tile_patches) * px
            self.offset = aligned_offset(self.src, grid.crs, transform) if direct else None
            if self.offset is None:
                self.vrt = WarpedVRT(self.src, crs=grid.crs, transform=transform, width=self.width,
                                     height=self.height, resampling=resampling, dtype="float32", nodata=np.nan,
                                     src_nodata=self.src.nodata)
        except RasterioError as err:
            raise InputError(f"{role} file {path} cannot be read ({err})") from None

    @property
    def warped(self) -> bool:
        return self.vrt is not None

    def read(self, r0: int, c0: int, h: int, w: int) -> np.ndarray:
        try:
            if self.vrt is None:  # clipped to the grid as a windowed read of the warped raster is
                h, w = max(0, min(h, self.height - r0)), max(0, min(w, self.width - c0))
                return read_aligned(self.src, self.indexes, self.offset, r0, c0, h, w)
            return self.vrt.read(self.indexes, window=Window(c0, r0, w, h))
        except RasterioError as err:
            raise InputError(f"{self.role} file {self.path} is damaged or truncated: reading failed ({err})") from None

    def close(self) -> None:
        if self.vrt is not None:
            self.vrt.close()
        self.src.close()


class Scene:
    def __init__(self, grid: GridSpec, aerial: tuple[str, list[int], list[str], bool] | None,
                 series: dict[str, tuple[list[DatedRaster], list[int], list[str]]],
                 masks: list[DatedRaster] | None, norm: NormStats | None, conversions: dict[str, Any]) -> None:
        self.grid = grid
        self.norm = norm
        self.conversions = conversions  # {"s2_scale": 1 or 10000, "s1_linear": bool}
        self.notices: list[str] = []    # what the reader decided about the user's files, for the job's log
        self.modalities: list[str] = []
        self.bands: dict[str, list[str]] = {}
        self.dates: dict[str, list[dt.date]] = {}
        self._layers: dict[str, list[Layer]] = {}
        self.tile_cache: TileCache | None = None  # set by training jobs (runner/ops/common.py: cached_tiles)
        if aerial is not None:
            path, idx, names, ignore_alpha = aerial
            self._layers["aerial"] = [Layer(path, grid, grid.aerial_px, idx, _resampling("aerial"), "aerial",
                                            ignore_alpha=ignore_alpha)]
            self.modalities.append("aerial")
            self.bands["aerial"] = names
        for m in TS_MODALITIES:
            if m in series:
                rasters, idx, names = series[m]
                self._layers[m] = [Layer(r.path, grid, grid.ts_px, idx, _resampling(m), m) for r in rasters]
                self.modalities.append(m)
                self.bands[m] = names
                self.dates[m] = [r.date for r in rasters]
        self._masks: list[Layer | None] | None = None
        if masks is not None and "s2" in self.dates:
            by_date = {r.date: r for r in masks}
            self._masks = []
            for d in self.dates["s2"]:
                r = by_date.get(d)
                if r is None:
                    self._masks.append(None)
                    continue
                with rasterio.open(r.path) as src:
                    idx = [1] if src.count == 1 else [1, 2]
                self._masks.append(Layer(r.path, grid, grid.ts_px, idx, Resampling.nearest, "s2 mask"))

        sources = [layer.src for layers in self._layers.values() for layer in layers]
        sources += [layer.src for layer in self._masks or [] if layer is not None]
        bounds = (grid.xmin, grid.ymin, grid.xmax, grid.ymax)
        self.block_cache = ensure_block_cache(needed_cache(sources, bounds, grid.crs,
                                                           grid.tile_patches * grid.patch_size))

    def close(self) -> None:
        for layers in self._layers.values():
            for layer in layers:
                layer.close()
        for layer in self._masks or []:
            if layer is not None:
                layer.close()

    # -- tiles ----------------------------------------------------------------------------------------
    def tiles(self, stride: int | None = None) -> list[TileWindow]:
        return self.grid.tiles(stride)

    def iter_batches(self, tiles: list[TileWindow], batch_size: int, prefetch: int = 2) -> Iterator[dict[str, Any]]:
        """Batches in the given tile order; a background thread reads ahead while the model computes."""
        chunks = [tiles[i:i + batch_size] for i in range(0, len(tiles), batch_size)]
        prefetch = int(os.environ.get("OMNISAT_PREFETCH", prefetch))
        if prefetch <= 0 or len(chunks) <= 1:
            for chunk in chunks:
                yield self.read_batch(chunk)
            return
        q: queue.Queue = queue.Queue(maxsize=prefetch)
        stop = threading.Event()

        def reader() -> None:
            try:
                for chunk in chunks:
                    if stop.is_set():
                        return
                    q.put(self.read_batch(chunk))
                q.put(None)
            except BaseException as err:  # handed to the consumer, raised there
                q.put(err)

        thread = threading.Thread(target=reader, name="omnisat-reader", daemon=True)
        thread.start()
        try:
            while True:
                item = q.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while thread.is_alive():  # drain so the reader can finish its put and see the stop flag
                try:
                    q.get(timeout=0.1)
                except queue.Empty:
                    pass

    # -- reading --------------------------------------------------------------------------------------
    def read_batch(self, tiles: list[TileWindow], normalise: bool = True) -> dict[str, Any]:
        """The model's input for `tiles` (normalised unless told), from the tile cache where one is set."""
        if self.tile_cache is not None and normalise:
            return self._read_through_cache(tiles, self.tile_cache)
        return self._read(tiles, normalise)

    def _read_through_cache(self, tiles: list[TileWindow], cache: TileCache) -> dict[str, Any]:
        parts = [cache.get((t.row, t.col)) for t in tiles]
        missing = [i for i, part in enumerate(parts) if part is None]
        if missing:
            fresh = self._read([tiles[i] for i in missing], True)
            for j, i in enumerate(missing):
                parts[i] = {k: v[j] for k, v in fresh.items() if k != "tiles"}
                cache.put((tiles[i].row, tiles[i].col), parts[i])
        return {"tiles": list(tiles), **{k: np.stack([part[k] for part in parts]) for k in parts[0]}}

    def _read(self, tiles: list[TileWindow], normalise: bool) -> dict[str, Any]:
        p = self.grid.tile_patches
        r0, c0 = min(t.row for t in tiles), min(t.col for t in tiles)
        r1, c1 = max(t.row for t in tiles) + p, max(t.col for t in tiles) + p
        union = (r1 - r0) * (c1 - c0)
        if union > 3 * len(tiles) * p * p:  # scattered tiles (shuffled training): read each on its own
            parts = [self._read([t], normalise) for t in tiles]
            return {k: (np.concatenate([b[k] for b in parts]) if k != "tiles" else list(tiles)) for k in parts[0]}
        out: dict[str, Any] = {"tiles": list(tiles)}
        if "aerial" in self._layers:
            k = self.grid.aerial_px
            block = self._layers["aerial"][0].read(r0 * k, c0 * k, (r1 - r0) * k, (c1 - c0) * k)
            block = np.nan_to_num(self._normalise("aerial", block, 0) if normalise else block)
            out["aerial"] = np.stack([block[:, (t.row - r0) * k:(t.row - r0 + p) * k,
                                            (t.col - c0) * k:(t.col - c0 + p) * k] for t in tiles])
        for m in TS_MODALITIES:
            if m in self._layers:
                self._read_series(m, tiles, r0, c0, r1, c1, out, normalise)
        return out

    def _read_series(self, m: str, tiles: list[TileWindow], r0: int, c0: int, r1: int, c1: int,
                     out: dict[str, Any], normalise: bool) -> None:
        p, n = self.grid.tile_patches, self.grid.ts_px
        stack = np.stack([layer.read(r0 * n, c0 * n, (r1 - r0) * n, (c1 - c0) * n) for layer in self._layers[m]])
        stack = self._convert(m, stack)                                       # (T, C, H, W) physical units
        valid = np.isfinite(stack).all(axis=1)                                # (T, H, W)
        if m == "s2":
            valid &= ~self._clouds(stack, r0, c0, r1, c1)
        if normalise:
            stack = self._normalise(m, stack, 1)
        stack = np.nan_to_num(stack)
        # per patch validity: more than half of its pixels valid
        t_, h, w = valid.shape
        vpatch = valid.reshape(t_, h // n, n, w // n, n).mean(axis=(2, 4)) > 0.5
        doy = np.array([day_of_year(d) for d in self.dates[m]], dtype=np.int64)
        days = np.array([(d - self.dates[m][0]).days for d in self.dates[m]], dtype=np.int64)
        out[m] = np.stack([stack[:, :, (t.row - r0) * n:(t.row - r0 + p) * n, (t.col - c0) * n:(t.col - c0 + p) * n]
                           for t in tiles]).astype(np.float32)
        out[f"{m}_mask"] = np.stack([vpatch[:, t.row - r0:t.row - r0 + p, t.col - c0:t.col - c0 + p] for t in tiles])
        out[f"{m}_doy"] = np.broadcast_to(doy, (len(tiles), len(doy))).copy()
        out[f"{m}_days"] = np.broadcast_to(days, (len(tiles), len(days))).copy()

    def _convert(self, m: str, stack: np.ndarray) -> np.ndarray:
        """The registry's units (runner/modalities.py): S2 reflectance ×10000, S1 backscatter in dB."""
        if m == "s2" and self.conversions.get("s2_scale", 1) != 1:
            stack = stack * self.conversions["s2_scale"]
        if m == "s1" and self.conversions.get("s1_linear"):
            with np.errstate(divide="ignore", invalid="ignore"):
                stack = 10.0 * np.log10(np.where(stack > 0, stack, np.nan))
        stack[~np.isfinite(stack)] = np.nan
        return stack

    def _clouds(self, stack: np.ndarray, r0: int, c0: int, r1: int, c1: int) -> np.ndarray:
        """Cloudy pixels per date: from the given masks (SCL classes or probabilities), else a spectral test."""
        n = self.grid.ts_px
        cloudy = np.zeros((stack.shape[0], stack.shape[2], stack.shape[3]), dtype=bool)
        for t in range(stack.shape[0]):
            layer = self._masks[t] if self._masks is not None else None
            if layer is not None:
                mk = layer.read(r0 * n, c0 * n, (r1 - r0) * n, (c1 - c0) * n)
                if mk.shape[0] == 1:  # scene classification
                    cloudy[t] = np.isin(np.nan_to_num(mk[0], nan=0).astype(int), SCL_INVALID)
                else:  # snow and cloud probabilities in percent
                    cloudy[t] = (np.nan_to_num(mk[0]) > 50) | (np.nan_to_num(mk[1]) > 30)
            elif self._masks is None:
                blue, visible = stack[t, 0], stack[t, :3].mean(axis=0)
                cloudy[t] = (blue > 2000) & (visible > 2500)
        return cloudy

    def _normalise(self, m: str, x: np.ndarray, channel_axis: int) -> np.ndarray:
        return self.norm.apply(m, x, channel_axis) if self.norm is not None else x

    # -- statistics -----------------------------------------------------------------------------------
    def compute_norm(self, max_tiles: int = 24) -> NormStats:
        """Robust per-band statistics from up to `max_tiles` tiles spread over the extent (valid values only)."""
        tiles = self.tiles()
        step = max(1, len(tiles) // max_tiles)
        sample = tiles[::step][:max_tiles]
        stats = NormStats(s1_unit="db")
        buffers: dict[str, list[np.ndarray]] = {m: [] for m in self.modalities}
        for t in sample:
            b = self.read_batch([t], normalise=False)
            if "aerial" in b:
                a = b["aerial"][0]
                buffers["aerial"].append(a.reshape(a.shape[0], -1).T[::7])
            for m in TS_MODALITIES:
                if m in b:
                    x = b[m][0]                                   # (T, C, H, W)
                    n = self.grid.ts_px
                    mask = np.repeat(np.repeat(b[f"{m}_mask"][0], n, axis=1), n, axis=2)  # (T, H, W)
                    vals = x.transpose(0, 2, 3, 1)[mask]          # (N, C)
                    buffers[m].append(vals)
        for m in self.modalities:
            data = np.concatenate(buffers[m]) if buffers[m] else np.zeros((0, len(self.bands[m])), np.float32)
            data = data[np.isfinite(data).all(axis=1)]
            if len(data) == 0:
                raise InputError(f"{m}: no valid value in the extent (all nodata, clouds or NaN); check the layers")
            stats.bands[m] = list(self.bands[m])
            stats.offset[m], stats.scale[m] = robust_stats(data)
        return stats
