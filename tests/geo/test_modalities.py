"""The modality registry: one canonicaliser, and the S1 units read from files' own metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from runner import modalities
from runner.geo.forms import _open, band_in_name, s1_unit
from runner.model.config import OmniSatConfig
from tests.geo.imagery_forms import write_tif


@pytest.mark.parametrize("name, modality, expected", [
    ("B02", None, "B2"), ("b8a", "s2", "B8A"), ("B8A", None, "B8A"), ("B11", "s2", "B11"), ("red", "s2", "B4"),
    ("swir16", "s2", "B11"), ("nir08", "s2", "B8A"), ("Sigma0_VV", "s1", "VV"), ("red", "aerial", "R"),
    ("nDSM", "aerial", "ELEVATION"), ("  vh ", "s1", "VH"), (None, "s2", None), ("", "s2", None),
    ("cloud", "s2", "CLOUD"),
])
def test_one_canonicaliser_for_every_band_name(name, modality, expected) -> None:
    assert modalities.canonical_band(name, modality) == expected


def test_the_registry_gives_the_model_its_band_groups_and_pixels_per_patch() -> None:
    cfg = OmniSatConfig.for_size("tiny", band_names={"s2": ["B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A",
                                                            "B11", "B12"]})
    assert cfg.aerial_px == modalities.px_per_patch("aerial", "tiny") == 10
    assert cfg.band_groups("s2") == [[0, 1, 2, 6], [3, 4, 5, 7], [8, 9]]
    assert OmniSatConfig.for_size("base").aerial_px == 50
    with pytest.raises(ValueError, match="unknown modality"):
        modalities.get("s3")


@pytest.mark.parametrize("name", [
    "2023-05-15-00:00_2023-05-15-23:59_Sentinel-2_L2A_B04_(Raw).tiff", "T32ULU_20230515T103629_B04_10m.tif",
    "S2_20230515_b4.tif",
])
def test_a_band_in_a_file_name(name: str) -> None:
    assert band_in_name(name, "s2") == "B4"
    assert band_in_name("S2_20230515_B04_B08_ratio.tif", "s2") is None   # two bands named: not a per-band file


@pytest.mark.parametrize("name, tags, units, expected", [
    ("S1A_IW_20230515T054455_DVP_RTC30_G_gpuned_1B2C_VV.tif", None, None, "power"),
    ("S1A_IW_20230515T054455_DVP_RTC30_G_gauned_1B2C_VV.tif", None, None, "amplitude"),
    ("S1A_IW_20230515T054455_DVP_RTC30_G_gduned_1B2C_VV.tif", None, None, "db"),
    ("s1_20230515.tif", {"UNIT": "dB"}, None, "db"),
    ("s1_20230515.tif", None, ("linear", "linear"), "power"),
    ("s1_20230515_VV_dB.tif", None, None, "db"),
    ("s1_20230515.tif", None, None, None),
])
def test_s1_unit_from_the_files_own_metadata(tmp_path: Path, name, tags, units, expected) -> None:
    path = write_tif(tmp_path / name, np.ones((2, 4, 4), np.float32), Affine(10, 0, 5e5, 0, -10, 5.8e6),
                     "EPSG:32632", ["VV", "VH"], tags=tags, units=units)
    assert s1_unit(_open(str(path), "Sentinel-1")) == expected


def test_amplitude_is_converted_with_twenty_log10(tmp_path: Path) -> None:
    """An ASF RTC in amplitude: dB = 20·log10(a), so amplitude 0.1 reads −20 dB."""
    import rasterio

    from runner.geo import expand_series

    amp = np.full((2, 4, 4), 0.1, np.float32)
    path = write_tif(tmp_path / "S1A_IW_20230515T054455_DVP_RTC30_G_gauned_1B2C.tif", amp,
                     Affine(10, 0, 5e5, 0, -10, 5.8e6), "EPSG:32632", ["VV", "VH"])
    (series,) = expand_series([str(path)], "s1")
    with rasterio.open(series.path) as src:
        np.testing.assert_allclose(src.read(), -20.0, atol=1e-5)
    assert series.detail == ("amplitude converted to dB",)
