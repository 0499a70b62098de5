"""Each imagery form classified end to end gives the same map as the same pixels as one GeoTIFF per date (issue 21).

The forms (tests/geo/imagery_forms.py) are built from the session's synthetic scene and classified with the
session's fine-tuned tiny model through the classify operation, as the API and the CLI run it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

from runner.ops import run_operation
from tests.geo.imagery_forms import build_forms
from tests.ops.conftest import RecordingContext


@pytest.fixture(scope="module")
def forms(tmp_path_factory, scene: Path) -> dict:
    return build_forms(scene, tmp_path_factory.mktemp("forms"), n_dates=24)


def _classify(trained: dict, tmp: Path, name: str, **imagery) -> tuple[np.ndarray, np.ndarray, list[str]]:
    ctx = RecordingContext(trained["home"], name)
    spec = {"device": "cpu", "model": "clf", "out": str(tmp / f"{name}.tif")}
    for key, value in imagery.items():
        if key != "aerial" and not isinstance(value, list):
            value = [value]                              # a stack: one file for the whole series
        spec[key] = [str(p) for p in value] if isinstance(value, list) else str(value)
    result = run_operation("classify", spec, ctx)
    with rasterio.open(result["class_map"]) as src, rasterio.open(result["confidence"]) as conf:
        return src.read(1), conf.read(1), [m for kind, m, _ in ctx.events if kind == "input"]


def test_products_per_band_files_and_aerial_parts_give_the_per_date_map(trained, forms, tmp_path: Path) -> None:
    """S2 as L2A products (folders at baseline 05.09 and zips at 03.01, SCL as the mask), S1 as VV/VH files in
    linear power, aerial as natural-colour + colour-infrared products."""
    ref, ref_conf, _ = _classify(trained, tmp_path, "ref", aerial=forms["ref_aerial"], s1=forms["ref_s1"],
                                 s2=forms["ref_s2"], s2_masks=forms["scl"])
    got, conf, notices = _classify(trained, tmp_path, "forms", aerial=forms["aerial_parts"], s1=forms["s1_bands"],
                                   s2=forms["safe"])
    assert len(np.unique(ref)) > 2                     # a real map, not one class everywhere
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_allclose(conf, ref_conf, atol=1e-3)  # S1 in dB by GDAL rather than numpy: ulps apart
    assert any("read 24 Sentinel-2 L2A products" in n and "SCL as cloud mask" in n for n in notices)
    assert any(n.startswith("aerial combined from 2 files") for n in notices)


@pytest.fixture(scope="module")
def series_only_map(trained, forms, tmp_path_factory) -> tuple[np.ndarray, np.ndarray]:
    """The per-date GeoTIFFs' map without aerial, classified once for the forms compared with it."""
    ref, conf, _ = _classify(trained, tmp_path_factory.mktemp("ref"), "ref", s1=forms["ref_s1"], s2=forms["ref_s2"])
    return ref, conf


@pytest.mark.parametrize("s2_form, s1_form", [("browser", "s1_stack"), ("stack", "s1_bands")])
def test_stacks_and_per_band_downloads_give_the_per_date_map(trained, forms, series_only_map, tmp_path: Path,
                                                             s2_form: str, s1_form: str) -> None:
    ref, ref_conf = series_only_map
    got, conf, _ = _classify(trained, tmp_path, s2_form, s1=forms[s1_form], s2=forms[s2_form])
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_allclose(conf, ref_conf, atol=1e-3)
