"""What the synthetic landscape is made of: classes, their colours, spectra, phenology and radar response.

Numbers are plausible rather than measured: Sentinel-2 reflectance ×10000 for soil and green vegetation mixed by a
per-class vegetation curve over the year, Sentinel-1 backscatter in dB rising with crop biomass, and aerial colours
of a summer flight. Classes differ in timing and texture more than in any single band, so a model has to use time
(S1/S2) and texture (aerial) together to separate them all.
"""

from __future__ import annotations

import numpy as np

from runner import modalities

# name, colour, share of parcels (forests come from a spatial field, not from these shares)
CLASSES = [
    ("Conifer forest", "#1b7837"),
    ("Broadleaf forest", "#7fbc41"),
    ("Wheat", "#e6ab02"),
    ("Barley", "#fdb462"),
    ("Maize", "#d95f02"),
    ("Rapeseed", "#f2e600"),
    ("Grassland", "#a6d96a"),
    ("Water", "#1f78b4"),
]
CROP_SHARES = {"Wheat": 0.25, "Barley": 0.12, "Maize": 0.23, "Rapeseed": 0.12,
               "Grassland": 0.28}
S2_BAND_NAMES = list(modalities.band_names("s2"))  # the spectra below are in this order
SOIL = np.array([900, 1200, 1500, 1800, 2000, 2100, 2300, 2400, 3000, 2600], dtype=np.float32)
VEG = np.array([300, 600, 350, 1200, 3200, 3900, 4200, 4300, 2000, 1000], dtype=np.float32)
WATER = np.array([600, 700, 500, 400, 300, 250, 200, 180, 100, 80], dtype=np.float32)
YELLOW = np.array([0, 900, 700, 300, 0, 0, 0, 0, 0, 0], dtype=np.float32)  # rapeseed flowering
AERIAL_RGBN = {
    "Conifer forest": (38, 62, 42, 115), "Broadleaf forest": (62, 96, 52, 175), "Wheat": (158, 146, 92, 140),
    "Barley": (164, 150, 100, 135), "Maize": (88, 124, 62, 165), "Rapeseed": (150, 158, 70, 150),
    "Grassland": (104, 142, 82, 150),
    "Water": (34, 52, 64, 18),
}


def bump(doy: float, peak: float, width: float) -> float:
    return float(np.exp(-0.5 * ((doy - peak) / width) ** 2))


def vegetation(name: str, doy: float) -> float:
    """Green-vegetation fraction of a class on a day of the year."""
    if name == "Conifer forest":
        return 0.75
    if name == "Broadleaf forest":
        return 0.2 + 0.7 * (1 / (1 + np.exp(-(doy - 125) / 8))) * (1 / (1 + np.exp((doy - 295) / 10)))
    if name == "Wheat":
        return 0.15 + 0.75 * bump(doy, 150, 35) * (doy < 205)
    if name == "Barley":  # winter barley: like wheat, a little earlier and shorter
        return 0.15 + 0.7 * bump(doy, 138, 30) * (doy < 192)
    if name == "Maize":
        return 0.05 + 0.85 * bump(doy, 225, 30)
    if name == "Rapeseed":
        return 0.35 + 0.5 * bump(doy, 105, 40) * (doy < 190)
    if name == "Grassland":
        mowing = 0.25 * (bump(doy, 160, 6) + bump(doy, 225, 6))
        return 0.45 + 0.3 * bump(doy, 170, 60) - mowing
    return 0.0


def s2_spectrum(name: str, doy: float) -> np.ndarray:
    if name == "Water":
        return WATER.copy()
    v = vegetation(name, doy)
    veg = VEG * (0.72 if name == "Conifer forest" else 1.0)
    spec = SOIL * (1 - v) + veg * v
    if name == "Rapeseed":
        spec = spec + YELLOW * bump(doy, 120, 10)
    return spec


def s1_db(name: str, doy: float) -> tuple[float, float]:
    if name == "Water":
        return -22.0, -28.0
    if name in ("Conifer forest", "Broadleaf forest"):
        leaf = vegetation(name, doy) if name == "Broadleaf forest" else 0.75
        return -7.5 + 0.8 * leaf, -13.5 + 1.2 * leaf
    v = vegetation(name, doy)
    if name == "Maize":
        return -13.0 + 6.0 * v, -21.0 + 8.0 * v
    return -12.0 + 3.5 * v, -19.5 + 5.0 * v
