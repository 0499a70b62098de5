"""The modality registry: every fact about aerial, Sentinel-1 and Sentinel-2 bands, declared once.

Why one place: the band order, its aliases, native resolutions, pixels per patch, resampling and units used to be
declared in the model config, the geodata inputs, the scene reader and the CLI, with two band-name canonicalisers
that disagreed on edge cases. Everything that needs a band list reads it from here (a guardrail test fails on a
band list declared anywhere else), so adding a band or an alias is one edit.

Standard library only: the model package (pure PyTorch), the geodata layer and the CLI all import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Band:
    """One band: its canonical name, native ground resolution (None where the product decides), other names."""

    name: str
    resolution_m: float | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Modality:
    """A modality as the model and the readers see it.

    `bands` are in the model's order. `min_bands`: fewer bands may be given when the rest are optional (aerial: R,
    G, B required, NIR and elevation optional, in that order). `px_per_patch`: pixels per patch side by model size
    (at 10 m patches). `resampling`: how a raster is put on the grid (rasterio.enums.Resampling name). `unit`:
    what the model is fed (the readers convert to it)."""

    key: str
    title: str
    bands: tuple[Band, ...]
    temporal: bool
    resampling: str
    unit: str
    px_per_patch: dict[str, int]
    min_bands: int | None = None
    groups: tuple[tuple[str, ...], ...] = ()   # bands whose reconstruction targets are normalised together
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def band_names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.bands)

    def band(self, name: str) -> Band:
        return self.bands[self.band_names.index(name)]

    @property
    def accepted_counts(self) -> tuple[int, ...]:
        """Band counts a file of this modality may have, taking the bands in order."""
        low = self.min_bands or len(self.bands)
        return tuple(range(low, len(self.bands) + 1))


# Sentinel-2 L2A: the 10 bands OmniSat reads (TreeSatAI-TS, PASTIS), 10 and 20 m; the 60 m bands are left out.
# Aliases are the names STAC catalogues (Earth Search) give the assets.
S2 = Modality(
    key="s2", title="Sentinel-2", temporal=True, resampling="bilinear",
    unit="surface reflectance × 10000 (L2A digital numbers with the baseline offset applied)",
    px_per_patch={"base": 1, "tiny": 1},
    bands=(
        Band("B2", 10, ("BLUE",), "blue"),
        Band("B3", 10, ("GREEN",), "green"),
        Band("B4", 10, ("RED",), "red"),
        Band("B5", 20, ("REDEDGE1", "RED_EDGE_1"), "red edge 1"),
        Band("B6", 20, ("REDEDGE2", "RED_EDGE_2"), "red edge 2"),
        Band("B7", 20, ("REDEDGE3", "RED_EDGE_3"), "red edge 3"),
        Band("B8", 10, ("NIR", "NIR10"), "near infrared"),
        Band("B8A", 20, ("NIR08", "NIR_NARROW", "REDEDGE4"), "narrow near infrared"),
        Band("B11", 20, ("SWIR16", "SWIR1"), "shortwave infrared 1.6 µm"),
        Band("B12", 20, ("SWIR22", "SWIR2"), "shortwave infrared 2.2 µm"),
    ),
    groups=(("B2", "B3", "B4", "B8"), ("B5", "B6", "B7", "B8A"), ("B11", "B12")),
    extra={
        # Scene classification (SCL) classes that are not clear ground: no data, saturated, cloud shadow, clouds
        # (medium, high), cirrus, snow.
        "scl_invalid": (0, 1, 3, 8, 9, 10, 11),
        "scl_band": "SCL",
        "scl_resolution_m": 20,
        # Reflectance ×10000 is the convention; floats 0..1 are scaled up by this.
        "scale": 10000,
        # The 13 MSI bands by the band_id the product metadata (BOA_ADD_OFFSET, Spectral_Information) uses.
        "msi_band_ids": ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12"),
    },
)

# Sentinel-1 backscatter (GRD/RTC), dual polarisation; the model is fed dB.
S1 = Modality(
    key="s1", title="Sentinel-1", temporal=True, resampling="bilinear", unit="backscatter in dB",
    px_per_patch={"base": 1, "tiny": 1},
    bands=(Band("VV", 10, ("SIGMA0_VV", "GAMMA0_VV", "VV_DB", "VV_LIN"), "co-polarised"),
           Band("VH", 10, ("SIGMA0_VH", "GAMMA0_VH", "VH_DB", "VH_LIN"), "cross-polarised")),
)

# Aerial orthophotos: R, G, B required, then NIR and an elevation model (DSM/nDSM) when given.
AERIAL = Modality(
    key="aerial", title="aerial", temporal=False, resampling="average", unit="as delivered (normalised per band)",
    # base is the paper's 0.2 m at 10 m patches; tiny reads 1 m so it trains in seconds on a laptop CPU
    px_per_patch={"base": 50, "tiny": 10},
    min_bands=3,
    bands=(Band("R", None, ("RED", "ROUGE")), Band("G", None, ("GREEN", "VERT")),
           Band("B", None, ("BLUE", "BLEU")), Band("NIR", None, ("N", "NIR", "PIR", "INFRARED", "NEAR_INFRARED")),
           Band("ELEVATION", None, ("DSM", "NDSM", "DEM", "DTM", "HEIGHT", "ELEVATION", "Z"))),
    extra={
        # the bands of a natural-colour product, and of a 3-band colour-infrared one (IGN's BD ORTHO IRC), which
        # files named with one of `cir_tokens` are when their metadata names no band
        "natural_colour": ("R", "G", "B"),
        "colour_infrared": ("NIR", "R", "G"),
        "cir_tokens": ("IRC", "CIR", "CIR4", "FCIR", "INFRAROUGE"),
        # GDAL colour interpretations that name a band's role
        "colour_roles": {"red": "R", "green": "G", "blue": "B"},
    },
)

REGISTRY: dict[str, Modality] = {m.key: m for m in (AERIAL, S1, S2)}
MODALITIES: tuple[str, ...] = tuple(REGISTRY)                              # canonical order: aerial, s1, s2
TS_MODALITIES: tuple[str, ...] = tuple(k for k, m in REGISTRY.items() if m.temporal)

# Raster files the readers accept, by suffix (JPEG 2000 for Sentinel-2 products, .img for ERDAS exports).
RASTER_SUFFIXES: frozenset[str] = frozenset({".tif", ".tiff", ".vrt", ".jp2", ".img"})

_ZERO_PADDED = re.compile(r"^B0*(\d{1,2}A?)$")


def get(key: str) -> Modality:
    """The modality `key` (aerial, s1, s2); a ValueError naming the choices otherwise."""
    try:
        return REGISTRY[key]
    except KeyError:
        raise ValueError(f"unknown modality {key!r}; choose one of {', '.join(MODALITIES)}") from None


def band_names(key: str) -> tuple[str, ...]:
    return get(key).band_names


def canonical_band(name: str | None, modality: str | None = None) -> str | None:
    """The registry's name of a band: 'B02' / 'b2' / 'B8a' → 'B2' / 'B2' / 'B8A'; with a
    modality, its aliases too ('red' → 'B4' for s2, 'R' for aerial; 'Sigma0_VV' → 'VV'). Names that match nothing
    come back upper-cased and stripped; None for a missing description, so callers can tell "unnamed" apart."""
    if name is None:
        return None
    n = re.sub(r"[\s\-]+", "_", name.strip().upper())
    if not n:
        return None
    m = _ZERO_PADDED.match(n)
    if m:
        return "B" + m.group(1)
    if modality is not None:
        for band in get(modality).bands:
            if n == band.name or n in band.aliases:
                return band.name
    return n


def px_per_patch(key: str, size: str) -> int:
    """Pixels per patch side for a model `size` (tiny/base)."""
    table = get(key).px_per_patch
    if size not in table:
        raise ValueError(f"unknown model size {size!r}; choose one of {', '.join(table)}")
    return table[size]
