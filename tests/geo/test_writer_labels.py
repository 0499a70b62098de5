"""Class-map writer (round trip, blending, abort) and label rasterisation on the synthetic scene."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import rasterio

from runner.errors import InputError
from runner.geo import (
    ClassInfo,
    ClassMapWriter,
    GridSpec,
    TileWindow,
    check_trainable,
    expand_series,
    open_scene,
    rasterise_labels,
    split_blocks,
    tiles_with_labels,
)

CLASSES = [ClassInfo(1, "Conifer", "#1b7837"), ClassInfo(2, "Wheat", "#e6ab02"), ClassInfo(7, "Water", "#1f78b4")]


def grid(rows: int = 14, cols: int = 17) -> GridSpec:
    return GridSpec("EPSG:32632", 500000, 5800000 - rows * 10, 500000 + cols * 10, 5800000, 10, 6, 10, 1)


def test_writer_round_trip_with_overlap_blending(tmp_path: Path) -> None:
    g = grid()
    out = tmp_path / "map.tif"
    writer = ClassMapWriter(out, g, CLASSES)
    truth = (np.add.outer(np.arange(g.n_rows), np.arange(g.n_cols)) // 6) % 3  # diagonal bands of classes
    for t in g.tiles(stride=4):  # overlapping tiles, every one agreeing on the truth
        probs = np.full((6, 6, 3), 0.1, dtype=np.float32)
        sub = truth[t.row:t.row + 6, t.col:t.col + 6]
        np.put_along_axis(probs, sub[..., None], 0.8, axis=-1)
        writer.add(t, probs)
    result = writer.close()
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 32632 and src.res == (10.0, 10.0) and src.nodata == 0
        got = src.read(1)
        assert src.colormap(1)[7][:3] == (0x1f, 0x78, 0xb4)
        assert "Water" in src.tags()["CLASS_NAMES"]
        assert src.profile["tiled"] and src.profile["compress"].lower() == "deflate"
    values = np.array([1, 2, 7])
    assert (got == values[truth]).all()  # blending of agreeing tiles leaves no seam
    with rasterio.open(result["confidence"]) as src:
        conf = src.read(1)
    assert np.allclose(conf, 0.8, atol=1e-5)
    palette = ET.parse(result["qml"]).getroot().find(".//colorPalette")
    entries = {e.get("value"): e.get("label") for e in palette.findall("paletteEntry")}
    assert entries == {"1": "Conifer", "2": "Wheat", "7": "Water"}
    assert sum(a["hectares"] for a in result["areas"]) == pytest.approx(g.n_rows * g.n_cols * 0.01)
    assert not list(tmp_path.glob("*.partial"))


def test_writer_blends_disagreeing_tiles_by_edge_weights(tmp_path: Path) -> None:
    g = grid(6, 10)
    writer = ClassMapWriter(tmp_path / "m.tif", g, CLASSES[:2])
    left = np.zeros((6, 6, 2), np.float32)
    left[..., 0] = 1
    right = np.zeros((6, 6, 2), np.float32)
    right[..., 1] = 1
    writer.add(TileWindow(0, 0), left)
    writer.add(TileWindow(0, 4), right)
    writer.close()
    with rasterio.open(tmp_path / "m.tif") as src:
        row = src.read(1)[0]
    # columns 4-5 are shared: each goes to the tile whose centre is nearer
    assert row.tolist() == [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]


def test_abort_leaves_nothing_that_looks_finished(tmp_path: Path) -> None:
    g = grid()
    writer = ClassMapWriter(tmp_path / "map.tif", g, CLASSES)
    writer.add(TileWindow(0, 0), np.full((6, 6, 3), 1 / 3, np.float32))
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_labels_on_the_synthetic_scene(small_scene: Path, tmp_path: Path) -> None:
    s2 = expand_series([str(small_scene / "s2")], "s2")
    scene = open_scene(str(small_scene / "aerial.tif"), expand_series([str(small_scene / "s1")], "s1"), s2,
                       aerial_px=10)
    labels = rasterise_labels(str(small_scene / "labels.gpkg"), "class_name", scene.grid, color_field="color")
    assert len(labels.classes) >= 3
    assert all(c.color.startswith("#") and len(c.color) == 7 for c in labels.classes)
    labelled = (labels.labels >= 0).mean()
    assert 0.4 < labelled < 1.0  # parcels drawn inside their edges, some parcels unlabelled
    check_trainable(labels, "labels.gpkg", "class_name")
    tiles = tiles_with_labels(labels, scene.grid)
    lab, tile = labels.labels_for(tiles[:3], 6)
    assert lab.shape == (3, 6, 6) and tile.shape == (3, len(labels.classes))
    majority = np.bincount(lab[0][lab[0] >= 0]).argmax()
    assert tile[0, majority] == 1  # the tile's main class is in its multi-label set
    train, val = split_blocks(tiles, 0.25, seed=1)
    assert train and val and not set(train) & set(val) and len(train) + len(val) == len(tiles)
    with pytest.raises(InputError, match="no field 'kind'.*class_name"):
        rasterise_labels(str(small_scene / "labels.gpkg"), "kind", scene.grid)


def test_single_class_and_outside_polygons_are_reported(small_scene: Path, tmp_path: Path) -> None:
    import pyogrio.raw as ogr_raw
    import shapely

    g = grid()
    one = tmp_path / "one.gpkg"
    poly = shapely.box(500010, 5799900, 500100, 5799990)
    ogr_raw.write(str(one), geometry=np.array([shapely.to_wkb(poly)], dtype=object),
                  field_data=[np.array(["Wheat"], dtype=object)], fields=["class_name"], crs="EPSG:32632",
                  geometry_type="Polygon", driver="GPKG")
    labels = rasterise_labels(str(one), "class_name", g)
    with pytest.raises(InputError, match="only one class \\(Wheat\\)"):
        check_trainable(labels, str(one), "class_name")
    far = tmp_path / "far.gpkg"
    ogr_raw.write(str(far), geometry=np.array([shapely.to_wkb(shapely.box(0, 0, 10, 10))], dtype=object),
                  field_data=[np.array(["Wheat"], dtype=object)], fields=["class_name"], crs="EPSG:32632",
                  geometry_type="Polygon", driver="GPKG")
    with pytest.raises(InputError, match="none of the 1 polygons"):
        rasterise_labels(str(far), "class_name", g)
    # the same polygon in another CRS (lon/lat) lands on the same patches
    ll = tmp_path / "ll.gpkg"
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:32632", "EPSG:4326", always_xy=True)
    poly_ll = shapely.transform(poly, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    ogr_raw.write(str(ll), geometry=np.array([shapely.to_wkb(poly_ll)], dtype=object),
                  field_data=[np.array(["Wheat"], dtype=object)], fields=["class_name"], crs="EPSG:4326",
                  geometry_type="Polygon", driver="GPKG")
    assert (rasterise_labels(str(ll), "class_name", g).labels == labels.labels).mean() > 0.98
