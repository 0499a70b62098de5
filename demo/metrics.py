"""Score a class map against held-out label polygons: overall accuracy, macro F1, per-class F1, confusion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw as ogr_raw
import rasterio
import rasterio.features
import shapely
from pyproj import CRS, Transformer


def score_map(class_map: Path, labels: Path, class_field: str, classes: list[dict[str, Any]]) -> dict[str, Any]:
    """Compare map pixels whose centre lies in a held-out polygon with that polygon's class."""
    value_of = {c["name"]: int(c["value"]) for c in classes}
    meta, _, geometry, fields = ogr_raw.read(str(labels), columns=[class_field])
    names = [str(v) for v in fields[0]]
    geoms = shapely.from_wkb(geometry)
    with rasterio.open(class_map) as src:
        predicted = src.read(1)
        if meta["crs"] and CRS.from_user_input(meta["crs"]) != CRS.from_user_input(src.crs.to_wkt()):
            tr = Transformer.from_crs(meta["crs"], src.crs.to_wkt(), always_xy=True)
            geoms = shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
        shapes = [(g, value_of[n]) for g, n in zip(geoms, names, strict=True) if n in value_of]
        truth = rasterio.features.rasterize(shapes, out_shape=predicted.shape, transform=src.transform, fill=0,
                                            dtype="uint8")
    mask = truth > 0
    values = [int(c["value"]) for c in classes]
    index = {v: i for i, v in enumerate(values)}
    conf = np.zeros((len(values), len(values)), dtype=np.int64)
    for t, p in zip(truth[mask], predicted[mask], strict=True):
        if p in index:
            conf[index[int(t)], index[int(p)]] += 1
    per_class: dict[str, float | None] = {}
    f1s = []
    for i, c in enumerate(classes):
        tp, fn, fp = conf[i, i], conf[i].sum() - conf[i, i], conf[:, i].sum() - conf[i, i]
        if conf[i].sum() == 0:
            per_class[c["name"]] = None
            continue
        f1 = 2 * tp / (2 * tp + fn + fp) if (2 * tp + fn + fp) else 0.0
        per_class[c["name"]] = round(float(f1), 4)
        f1s.append(f1)
    n = int(mask.sum())
    return {
        "overall_accuracy": round(float(np.trace(conf) / max(conf.sum(), 1)), 4),
        "macro_f1": round(float(np.mean(f1s)) if f1s else 0.0, 4),
        "per_class_f1": per_class,
        "patches": n,
        "unclassified_patches": int((predicted[mask] == 0).sum()),
        "confusion_matrix": {"classes": [c["name"] for c in classes], "rows_true_cols_predicted": conf.tolist()},
        "evaluated_on": str(labels.name),
    }
