"""ClassMapWriter: per-tile class probabilities → a blended, georeferenced, styled class map, streamed by rows.

Tiles arrive in row-major order; rows above the current tile can receive nothing more, so they are finished and
written, and only a strip of about two tiles' height is kept in memory whatever the extent. Overlapping tiles are
blended by averaging probabilities with weights that fall off towards tile edges (no seams). Files are written
under `.partial` names and renamed only when complete, so a crash or cancel never leaves a map that looks finished.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import rasterio

from runner.geo.grid import GridSpec, TileWindow
from runner.geo.labels import ClassInfo
from runner.geo.qml import class_map_qml, confidence_qml

PROFILE = dict(driver="GTiff", tiled=True, blockxsize=256, blockysize=256, compress="deflate", BIGTIFF="IF_SAFER")


def edge_weights(p: int) -> np.ndarray:
    """(P, P) weights: 1 in the middle of a tile, 0.2 at its edges, where context is poorest."""
    w1 = 1.0 - 0.8 * np.abs(np.linspace(-1.0, 1.0, p)) if p > 1 else np.ones(1)
    return np.outer(w1, w1).astype(np.float32)


def companion_paths(out: Path) -> dict[str, Path]:
    return {"class_map": out, "confidence": out.with_name(out.stem + "_confidence.tif"),
            "qml": out.with_suffix(".qml"), "confidence_qml": out.with_name(out.stem + "_confidence.qml")}


class ClassMapWriter:
    def __init__(self, out_path: str | Path, grid: GridSpec, classes: list[ClassInfo], confidence: bool = True) -> None:
        self.out = Path(out_path)
        self.grid, self.classes, self.k = grid, list(classes), len(classes)
        self.final = companion_paths(self.out)
        self.partial = {k: v.with_name(v.name + ".partial") for k, v in self.final.items()}
        self.with_conf = confidence
        self.p = grid.tile_patches
        self.cap = 2 * self.p
        self.base = 0
        self.acc = np.zeros((self.cap, grid.n_cols, self.k), dtype=np.float32)
        self.wsum = np.zeros((self.cap, grid.n_cols), dtype=np.float32)
        self.weights = edge_weights(self.p)
        self.counts = np.zeros(self.k, dtype=np.int64)
        self.values = np.array([c.value for c in classes], dtype=np.uint8)
        common = dict(width=grid.n_cols, height=grid.n_rows, count=1, crs=grid.crs, transform=grid.transform,
                      **PROFILE)
        self._cls = rasterio.open(self.partial["class_map"], "w", dtype="uint8", nodata=0, **common)
        self._cls.write_colormap(1, {0: (0, 0, 0, 0), **{c.value: _rgba(c.color) for c in classes}})
        self._cls.set_band_description(1, "class")
        self._conf = rasterio.open(self.partial["confidence"], "w", dtype="float32", nodata=-1.0, **common) \
            if confidence else None
        self._closed = False

    def add(self, tile: TileWindow, probs: np.ndarray) -> None:
        """probs: (P, P, K) class probabilities of one tile."""
        if tile.row < self.base:
            raise ValueError(f"tiles must come in row order: got row {tile.row} after row {self.base}")
        if tile.row > self.base:
            self._flush_until(tile.row)
        r, c, p = tile.row - self.base, tile.col, self.p
        h = min(p, self.grid.n_rows - tile.row)
        w = min(p, self.grid.n_cols - tile.col)
        if h <= 0 or w <= 0:
            return
        wt = self.weights[:h, :w]
        self.acc[r:r + h, c:c + w] += probs[:h, :w] * wt[..., None]
        self.wsum[r:r + h, c:c + w] += wt

    def _flush_until(self, row: int) -> None:
        """Write finished rows [base, row) and slide the strip down."""
        row = min(row, self.grid.n_rows)
        n = row - self.base
        if n <= 0:
            return
        acc, wsum = self.acc[:n], self.wsum[:n]
        covered = wsum > 0
        probs = acc / np.maximum(wsum, 1e-12)[..., None]
        best = probs.argmax(axis=-1)
        classes = np.where(covered, self.values[best], 0).astype(np.uint8)
        window = rasterio.windows.Window(0, self.base, self.grid.n_cols, n)
        self._cls.write(classes[None], window=window)
        if self._conf is not None:
            conf = np.where(covered, probs.max(axis=-1), -1.0).astype(np.float32)
            self._conf.write(conf[None], window=window)
        self.counts += np.bincount(best[covered].ravel(), minlength=self.k)[: self.k]
        self.acc = np.concatenate([self.acc[n:], np.zeros_like(self.acc[:n])])
        self.wsum = np.concatenate([self.wsum[n:], np.zeros_like(self.wsum[:n])])
        self.base = row

    def close(self) -> dict[str, Any]:
        """Finish the last rows, write styles, and rename everything into place."""
        self._flush_until(self.grid.n_rows)
        names = {str(c.value): c.name for c in self.classes}
        self._cls.update_tags(CLASS_NAMES=json.dumps(names), SOFTWARE="OmniSat runner")
        self._cls.close()
        if self._conf is not None:
            self._conf.set_band_description(1, "confidence")
            self._conf.close()
        self.partial["qml"].write_text(class_map_qml(self.classes))
        self.partial["confidence_qml"].write_text(confidence_qml())
        self._closed = True
        keys = ["class_map", "qml"] + (["confidence", "confidence_qml"] if self.with_conf else [])
        for key in keys[1:] + keys[:1]:  # the class map last: its presence means the set is complete
            os.replace(self.partial[key], self.final[key])
        return {**{k: self.final[k] for k in keys}, "areas": self.areas()}

    def areas(self) -> list[dict[str, Any]]:
        ha_per_patch = self.grid.patch_size ** 2 / 1e4
        return [{"value": c.value, "name": c.name, "color": c.color, "patches": int(n),
                 "hectares": round(float(n) * ha_per_patch, 4)} for c, n in zip(self.classes, self.counts, strict=True)]

    def abort(self) -> None:
        """Remove everything partial (cancel, error, crash handling)."""
        for ds in (self._cls, self._conf):
            try:
                if ds is not None and not ds.closed:
                    ds.close()
            except Exception:  # nosec B110 - best effort while cleaning up after another error
                pass
        for p in self.partial.values():
            p.unlink(missing_ok=True)


def _rgba(hex_color: str) -> tuple[int, int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 255
