"""Split a label layer into spatial halves by polygon centroid: west for training, east held out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio.raw as ogr_raw
import shapely


def split_halves(src: Path, out_dir: Path) -> tuple[Path, Path, dict[str, int]]:
    meta, _, geometry, fields = ogr_raw.read(str(src))
    geoms = shapely.from_wkb(geometry)
    cx = shapely.get_x(shapely.centroid(geoms))
    xmin, _, xmax, _ = shapely.total_bounds(geoms)
    west = cx < (xmin + xmax) / 2
    paths = []
    for name, keep in (("labels_train.gpkg", west), ("labels_test.gpkg", ~west)):
        path = out_dir / name
        path.unlink(missing_ok=True)
        ogr_raw.write(str(path), geometry=np.asarray(shapely.to_wkb(geoms[keep]), dtype=object),
                      field_data=[f[keep] for f in fields], fields=meta["fields"], crs=meta["crs"],
                      geometry_type=meta["geometry_type"], driver="GPKG", layer="labels")
        paths.append(path)
    return paths[0], paths[1], {"train": int(west.sum()), "test": int((~west).sum())}
