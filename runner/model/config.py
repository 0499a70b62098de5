"""OmniSatConfig: every size and geometry choice of the model in one serialisable dataclass.

The card stores `asdict(config)`, so a saved model rebuilds exactly; `for_size` gives the paper's `base`
configuration or the CPU-friendly `tiny` one for the scene's modalities and grid.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from runner import modalities as registry
from runner.modalities import MODALITIES, TS_MODALITIES, canonical_band

__all__ = ["MODALITIES", "TS_MODALITIES", "OmniSatConfig", "canonical_band"]


def _default_channels() -> dict[str, int]:
    """The paper's tri-modal input: aerial R, G, B, NIR; S1 VV, VH; the 10 S2 bands."""
    return {"aerial": 4, "s1": len(registry.band_names("s1")), "s2": len(registry.band_names("s2"))}


@dataclass
class OmniSatConfig:
    """Sizes of the OmniSat encoder, combiner, decoders and losses (defaults = the paper's `base`)."""

    size: str = "base"
    modalities: dict[str, int] = field(default_factory=lambda: _default_channels())
    band_names: dict[str, list[str]] = field(default_factory=dict)
    tile_patches: int = 6
    aerial_px: int = 50
    ts_px: int = 1
    dim: int = 256
    depth: int = 6
    heads: int = 16
    mlp_ratio: float = 4.0
    dropout: float = 0.2
    attn_dropout: float = 0.2
    drop_path: float = 0.2
    cross_drop_path: float = 0.0  # the reference leaks dpr[M-1] here (quirk 7); explicit instead
    # Per-patch maps (§13): add each query's own tokens (mean over present modalities; the tile token for the
    # tile query) as a residual around the cross-attention. The reference has none (False = parity); without
    # it the zero-initialised queries start identical and per-patch outputs take long to localise.
    cross_residual: bool = True
    cnn_channels: int = 256
    cnn_groups: int = 4
    shared_resblock_norm: bool = True  # quirk 8 kept for parity; False = one GroupNorm per conv
    ltae_heads: int = 16
    ltae_dk: int = 8
    ltae_in_mlp: list[int] = field(default_factory=lambda: [32, 128])
    ltae_out_mlp: list[int] = field(default_factory=lambda: [256, 512])
    ltae_dropout: float = 0.2
    ltae_attn_dropout: float = 0.1
    # S2 LTAE input GroupNorm statistics: "series" (the reference: channels × the patch's valid dates) or
    # "date" (one (patch, date) row at a time; models saved before this field existed, see from_dict)
    ltae_norm: str = "series"
    period: int = 367                    # 367 for day of year; 734 for days since the first date (PASTIS)
    date_encoding: str = "day_of_year"   # day_of_year (batch *_doy) | days (batch *_days)
    mask_ratio: float = 0.75
    temperature: float = 0.1
    date_quantile: float = 0.75
    contrastive_max_tokens: int = 4096

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def for_size(cls, size: str, modalities: dict[str, int] | None = None, tile_patches: int = 6,
                 aerial_px: int | None = None, ts_px: int = 1,
                 band_names: dict[str, list[str]] | None = None) -> OmniSatConfig:
        """`base` = the paper; `tiny` = D 64, depth 2, 4 heads, CNN 32 channels (seconds per epoch on CPU)."""
        mods = dict(modalities) if modalities is not None else _default_channels()
        common: dict[str, Any] = dict(size=size, modalities=mods, tile_patches=tile_patches, ts_px=ts_px,
                                      band_names={k: list(v) for k, v in (band_names or {}).items()})
        if size == "base":
            cfg = cls(aerial_px=aerial_px or registry.px_per_patch("aerial", size), **common)
        elif size == "tiny":
            cfg = cls(aerial_px=aerial_px or registry.px_per_patch("aerial", size), dim=64, depth=2, heads=4,
                      cnn_channels=32, ltae_heads=4,
                      ltae_dk=8, ltae_in_mlp=[32, 64], ltae_out_mlp=[64, 128], dropout=0.1, attn_dropout=0.0,
                      drop_path=0.0, ltae_dropout=0.1, ltae_attn_dropout=0.0, **common)
        else:
            raise ValueError(f"unknown model size {size!r}; choose tiny or base")
        cfg.validate()
        return cfg

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OmniSatConfig:
        known = {f.name for f in fields(cls)}
        d = {"ltae_norm": "date", **d}  # a card without the field was trained with per-date statistics
        cfg = cls(**{k: v for k, v in d.items() if k in known})
        cfg.validate()
        return cfg

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> None:
        unknown = [m for m in self.modalities if m not in MODALITIES]
        if unknown or not self.modalities:
            raise ValueError(f"modalities {list(self.modalities)}: each must be one of {', '.join(MODALITIES)}")
        if self.dim % self.heads or self.dim % self.ltae_heads or self.dim % 16:
            raise ValueError(f"dim {self.dim} must divide by heads {self.heads}, ltae_heads {self.ltae_heads}, 16")
        if self.ltae_norm not in ("series", "date"):
            raise ValueError(f"ltae_norm {self.ltae_norm!r}: choose series or date")
        if self.date_encoding not in ("day_of_year", "days"):
            raise ValueError(f"date_encoding {self.date_encoding!r}: choose day_of_year or days")
        if self.aerial_px < 2 and "aerial" in self.modalities:
            raise ValueError(f"aerial_px {self.aerial_px}: need at least 2 aerial pixels per patch")

    # -- derived ------------------------------------------------------------------------------------
    @property
    def n_patches(self) -> int:
        return self.tile_patches * self.tile_patches

    def ordered_modalities(self, requested: list[str] | None = None) -> list[str]:
        """The model's modalities (in canonical order) restricted to `requested`."""
        return [m for m in MODALITIES if m in self.modalities and (requested is None or m in requested)]

    def band_groups(self, modality: str) -> list[list[int]]:
        """Channel index groups whose reconstruction targets are normalised together (§13): the registry's groups
        (S2: visible+NIR, red-edge, SWIR) when the bands are known, else all channels together."""
        c = self.modalities[modality]
        groups = registry.get(modality).groups
        if groups:
            default = registry.band_names(modality)
            names = self.band_names.get(modality) or (list(default) if c == len(default) else None)
            names = [canonical_band(b, modality) for b in names] if names is not None else None
            if names is not None and len(names) == c and all(b in names for g in groups for b in g):
                return [[names.index(b) for b in g] for g in groups]
        return [list(range(c))]
