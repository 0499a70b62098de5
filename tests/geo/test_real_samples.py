"""The pipeline on real samples (../shared/eodata): TreeSatAI-TS (aerial + S1 + S2) and WorldCereal (S1 + S2)."""

from __future__ import annotations

import numpy as np
import rasterio

from runner.geo import expand_series, open_scene, rasterise_labels, split_blocks, tiles_with_labels


def test_treesatai_tile_lands_on_one_grid_with_agreeing_footprints(eodata) -> None:
    root = eodata / "treesatai_tile"
    s2 = expand_series([str(root / "s2")], "s2")
    s1 = expand_series([str(root / "s1_asc")], "s1")
    masks = expand_series([str(root / "s2_masks")], "s2_mask")
    assert len(s2) == 146 and len(s1) == 60 and len(masks) == 146
    assert s2[0].date.isoformat() == "2020-01-02" and s2[-1].date.isoformat() == "2020-12-30"
    scene = open_scene(str(root / "aerial.tif"), s1, s2, s2_masks=masks, aerial_px=50, max_dates=50)
    g = scene.grid
    assert (g.n_rows, g.n_cols) == (6, 6)                       # the 60 m patch, aligned on the S2 pixels
    assert (g.xmin, g.ymax) == (565643.0, 5770980.0)
    assert scene.bands["aerial"] == ["R", "G", "B", "NIR"]
    assert scene.conversions["s1_linear"] is True                # TreeSatAI S1 is linear power
    scene.norm = scene.compute_norm()
    batch = scene.read_batch(scene.tiles())
    assert batch["aerial"].shape == (1, 4, 300, 300)
    assert batch["s2"].shape == (1, 50, 10, 6, 6) and batch["s1"].shape == (1, 50, 2, 6, 6)
    # footprints agree: aerial NIR averaged to 10 m correlates with S2 B8 on clear summer dates
    raw = scene.read_batch(scene.tiles(), normalise=False)
    nir = raw["aerial"][0, 3].reshape(6, 50, 6, 50).mean(axis=(1, 3))
    summer = [i for i, d in enumerate(scene.dates["s2"]) if 6 <= d.month <= 8 and raw["s2_mask"][0, i].all()]
    assert summer, "no clear summer date"
    corr = [np.corrcoef(nir.ravel(), raw["s2"][0, i, 6].ravel())[0, 1] for i in summer]
    assert np.median(corr) > 0.3, corr
    assert 0.2 < batch["s2_mask"].mean() < 1.0  # the masks drop some dates (clouds, snow) and keep most


def test_worldcereal_dates_db_and_labels(eodata) -> None:
    root = eodata / "worldcereal_patch"
    s2 = expand_series([str(root / "s2")], "s2")
    s1 = expand_series([str(root / "s1")], "s1")
    assert len(s2) == 118 and len(s1) == 159
    scene = open_scene(None, s1, s2, s2_masks=expand_series([str(root / "s2_scl")], "s2_mask"), max_dates=50)
    assert scene.conversions["s1_linear"] is False              # already dB
    assert (scene.grid.n_rows, scene.grid.n_cols) == (64, 64)
    labels = rasterise_labels(str(root / "labels.gpkg"), "class_name", scene.grid)
    names = [c.name for c in labels.classes]
    assert names == ["Cabages", "Maize", "Other Leguminous crops", "Permanent grass crops", "Potatoes", "Unknown"]
    counts = dict(zip(names, np.bincount(labels.labels[labels.labels >= 0], minlength=6).tolist(), strict=True))
    # the polygons were vectorised from labels.tif: patch labels reproduce its pixel counts
    assert counts == {"Cabages": 31, "Maize": 1249, "Other Leguminous crops": 96, "Permanent grass crops": 835,
                      "Potatoes": 25, "Unknown": 1860}
    with rasterio.open(root / "labels.tif") as src:
        ct = src.read(1)
    for name, code in {"Maize": 1200, "Permanent grass crops": 9120}.items():
        assert ((labels.labels == names.index(name)) == (ct == code)).mean() > 0.99
    tiles = tiles_with_labels(labels, scene.grid)
    train, val = split_blocks(tiles, 0.3, seed=0)
    assert train and val and not set(train) & set(val)
