"""Job specifications: what the API, the CLI and the worker agree a pretrain, finetune or classify job is.

Validation happens here, once, with messages that name the field at fault; the geodata layer then checks the
files themselves (bands, CRS, dates) and names the file at fault.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from runner.errors import InputError

MODEL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
JOB_KINDS = ("pretrain", "finetune", "classify", "selftest")

Device = Literal["auto", "cpu", "cuda"]
Size = Literal["auto", "tiny", "base"]   # auto: the runner picks from the amount of imagery (ops/recipe.py)
LtaeNorm = Literal["series", "date"]
PathStr = Annotated[str, Field(min_length=1, max_length=4096)]


def check_model_name(name: str, field: str = "model") -> str:
    if not MODEL_NAME_RE.match(name) or name in {".", ".."}:
        raise ValueError(f"{field} {name!r} is not a valid model name (letters, digits, '.', '_', '-'; max 64)")
    return name


class InputsSpec(BaseModel):
    """The imagery of a job: aerial rasters and Sentinel-1/2 series, plus the extent.

    A series item is a raster per date, a Sentinel-2 L2A product (.SAFE folder or .zip), a per-band file (grouped
    by date), a multi-date stack or a folder of any of these (runner/geo/forms.py); `*_dates`, when given, has
    one date per item."""

    model_config = ConfigDict(extra="forbid")

    # one raster, or several combined (natural colour + colour infrared + elevation products, and their sheets)
    aerial: PathStr | list[PathStr] | None = None
    s1: list[PathStr] = Field(default_factory=list, max_length=2000)
    s2: list[PathStr] = Field(default_factory=list, max_length=2000)
    s1_dates: list[dt.date] | None = None
    s2_dates: list[dt.date] | None = None
    s2_masks: list[PathStr] = Field(default_factory=list, max_length=2000)
    extent: tuple[float, float, float, float] | None = None
    extent_crs: str | None = Field(default=None, max_length=20000)
    patch_size: float = Field(default=10.0, gt=0, le=1000)
    max_dates: int = Field(default=366, ge=1, le=366)  # every date: a pixel's full series is the crop signal
    device: Device = "auto"
    batch_size: int = Field(default=8, ge=1, le=1024)
    amp: Literal["auto", "bf16", "off"] = "auto"   # auto: bf16 on CUDA and for wide-model inference on bf16 CPUs
    compile: bool = False                             # torch.compile the model (long GPU jobs)

    @model_validator(mode="after")
    def _check(self) -> InputsSpec:
        if not (self.aerial or self.s1 or self.s2):
            raise ValueError("no imagery given: set at least one of aerial, s1, s2")
        for name in ("s1", "s2"):
            dates = getattr(self, f"{name}_dates")
            files = getattr(self, name)
            if dates is not None and len(dates) != len(files):
                raise ValueError(f"{name}_dates has {len(dates)} dates for {len(files)} {name} files")
        if self.extent is not None:
            xmin, ymin, xmax, ymax = self.extent
            if not (xmin < xmax and ymin < ymax):
                raise ValueError(f"extent {list(self.extent)} is empty: need xmin < xmax and ymin < ymax")
            if self.extent_crs is None:
                raise ValueError("extent_crs is required with extent (e.g. EPSG:32631)")
        return self


class PretrainSpec(InputsSpec):
    out_model: str
    size: Size = "auto"
    ltae_norm: LtaeNorm = "series"   # S2 LTAE input statistics: the reference's per series, or per date
    epochs: int = Field(default=20, ge=1, le=10000)
    minutes: float | None = Field(default=None, gt=0, le=10080)  # a time budget: stop then, keep the best epoch
    seed: int = 0
    tile_patches: int = Field(default=6, ge=2, le=32)
    aerial_px: int | None = Field(default=None, ge=4, le=256)
    overwrite: bool = False

    _name = field_validator("out_model")(lambda cls, v: check_model_name(v, "out_model"))


class FinetuneSpec(InputsSpec):
    # the model fine-tuning starts from (None: from scratch); `model`, its name in earlier plugins and scripts,
    # is still accepted
    base_model: str | None = Field(default=None, validation_alias=AliasChoices("base_model", "model"))
    labels: PathStr
    class_field: str = Field(min_length=1, max_length=256)
    color_field: str | None = None
    out_model: str
    size: Size = "auto"
    ltae_norm: LtaeNorm = "series"   # from scratch only; a parent model keeps its own
    epochs: int = Field(default=30, ge=1, le=10000)
    seed: int = 0
    tile_patches: int = Field(default=6, ge=2, le=32)
    aerial_px: int | None = Field(default=None, ge=4, le=256)
    val_fraction: float = Field(default=0.25, gt=0, lt=0.9)
    label_fraction: float = Field(default=1.0, gt=0, le=1.0)
    augment: bool = True   # random flips and right-angle rotations of the training tiles
    overwrite: bool = False

    _name = field_validator("out_model")(lambda cls, v: check_model_name(v, "out_model"))
    _base = field_validator("base_model")(lambda cls, v: v if v is None else check_model_name(v, "base_model"))


class ClassifySpec(InputsSpec):
    model: str
    out: PathStr
    overlap: int = Field(default=2, ge=0, le=16)

    _name = field_validator("model")(lambda cls, v: check_model_name(v, "model"))

    @field_validator("out")
    @classmethod
    def _out_tif(cls, v: str) -> str:
        if Path(v).suffix.lower() not in {".tif", ".tiff"}:
            raise ValueError(f"out {v!r} must be a GeoTIFF path ending in .tif")
        return v


class SelftestSpec(BaseModel):
    """No inputs: the selftest makes its own tiny scene in the job folder."""

    model_config = ConfigDict(extra="forbid")


SPEC_TYPES: dict[str, type[BaseModel]] = {"pretrain": PretrainSpec, "finetune": FinetuneSpec, "classify": ClassifySpec,
                                          "selftest": SelftestSpec}


def format_validation_error(err: ValidationError, prefix: str = "") -> str:
    """One line naming each field at fault: `spec.out_model: field required`."""
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "__root__")
        msg = e.get("msg", "invalid").removeprefix("Value error, ")
        where = ".".join(p for p in (prefix, loc) if p)
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def parse_spec(kind: str, data: dict[str, Any]) -> BaseModel:
    """Validate a job spec, raising InputError with a message naming the field at fault."""
    if kind not in SPEC_TYPES:
        raise InputError(f"kind: unknown job kind {kind!r}; expected one of {', '.join(JOB_KINDS)}")
    try:
        return SPEC_TYPES[kind].model_validate(data)
    except ValidationError as err:
        raise InputError(format_validation_error(err, "spec")) from None
