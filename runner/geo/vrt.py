"""Per-date virtual rasters: any form of imagery turned into one raster per date with the bands in registry order.

Why VRTs: the scene reader (scene_open.py, scene_reader.py, aligned.py) knows one thing, a raster per date whose
bands it picks by name. A Sentinel-2 product (bands in separate JP2 files at 10 and 20 m, with an offset), a
folder of per-band downloads or a multi-date stack are each turned into GDAL VRTs that look exactly like that,
with the scale and offset applied by GDAL while reading (ComplexSource ScaleRatio/ScaleOffset) and the source's
nodata kept. Nothing is copied; the reading and warping path stays the one that is tested.

The VRT files are content-addressed in a private folder under the system's temporary directory, so the same
product resolves to the same path in every process (distributed ranks, the API and the CLI) and nothing is
written next to the user's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape  # nosec B406 - escaping text we write, nothing is parsed

import rasterio
from rasterio.errors import RasterioError

from runner.errors import InputError
from runner.geo.remote_cache import header, is_remote
from runner.geo.vrt_files import write_vrt


@dataclass(frozen=True)
class BandSource:
    """One output band: band `index` (1-based) of `path`, as `value * scale + offset`, named `name`."""

    path: str
    index: int
    name: str
    scale: float = 1.0
    offset: float = 0.0
    nodata: float | None = None
    func: str | None = None          # a GDAL pixel function applied to the source (e.g. 'dB' with args)
    func_args: tuple[tuple[str, str], ...] = ()


def _header(path: str, role: str) -> dict:
    if is_remote(path):  # a COG behind a URL: its header from the cache after the first read
        return header(path)
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise InputError(f"{role} file {path} has no CRS: assign one (e.g. in QGIS, Layer ▸ Set CRS)")
            return {"width": src.width, "height": src.height, "transform": src.transform, "crs": src.crs.to_wkt(),
                    "dtype": src.dtypes[0], "nodata": src.nodata, "count": src.count,
                    "block": src.block_shapes[0]}
    except RasterioError as err:
        raise InputError(f"{role} file {path} is not a raster GDAL can read ({err})") from None


def build_vrt(bands: list[BandSource | list[BandSource]], name: str, role: str, tags: dict[str, str] | None = None,
              same_footprint: bool = True) -> str:
    """A float32 VRT holding `bands` in order; returns its path.

    Each band is one source or several (sheets of a mosaic, placed by their georeferencing). The output grid has
    the finest source's pixel size over the footprint of the first band's sources; coarser bands are repeated
    (nearest neighbour), as in the per-date GeoTIFF a user would make. Sources must share one CRS; with
    `same_footprint` (a product's bands, one date's per-band files) every band must cover the same ground, else an
    InputError names the band that differs."""
    groups = [b if isinstance(b, list) else [b] for b in bands]
    headers = {s.path: _header(s.path, role) for g in groups for s in g}
    finest = min(headers.values(), key=lambda h: abs(h["transform"].a))
    px, py = abs(finest["transform"].a), abs(finest["transform"].e)
    x0, y0, x1, y1 = _union([_bounds(headers[s.path]) for s in groups[0]])
    width, height = max(1, round((x1 - x0) / px)), max(1, round((y1 - y0) / py))
    ref = groups[0][0]
    for g in groups:
        for s in g:
            h = headers[s.path]
            if h["crs"] != finest["crs"]:
                raise InputError(f"{role}: band {s.name} ({s.path}) is in another CRS than {ref.path}")
            if s.index > h["count"]:
                raise InputError(f"{role}: {s.path} has {h['count']} bands, no band {s.index} for {s.name}")
            if same_footprint:
                bx0, by0, bx1, by1 = _bounds(h)
                tol = max(abs(h["transform"].a), px)
                if max(abs(bx0 - x0), abs(by0 - y0), abs(bx1 - x1), abs(by1 - y1)) > tol:
                    raise InputError(f"{role}: band {s.name} ({s.path}) covers other ground than band {ref.name} "
                                     f"({ref.path}): a different tile or a crop")
    lines = [f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">',
             f"  <SRS>{escape(finest['crs'])}</SRS>",
             f"  <GeoTransform>{x0!r}, {px!r}, 0.0, {y1!r}, 0.0, {-py!r}</GeoTransform>"]
    if tags:
        items = "".join(f'<MDI key="{escape(k)}">{escape(str(v))}</MDI>' for k, v in tags.items())
        lines.append(f"  <Metadata>{items}</Metadata>")
    for i, g in enumerate(groups, start=1):
        first = g[0]
        derived = ' subClass="VRTDerivedRasterBand"' if first.func else ""
        lines.append(f'  <VRTRasterBand dataType="Float32" band="{i}"{derived}>')
        lines.append(f"    <Description>{escape(first.name)}</Description>")
        lines.append("    <NoDataValue>nan</NoDataValue>")
        if first.func:
            lines.append(f"    <PixelFunctionType>{escape(first.func)}</PixelFunctionType>")
            if first.func_args:
                args = " ".join(f'{k}="{escape(v)}"' for k, v in first.func_args)
                lines.append(f"    <PixelFunctionArguments {args}/>")
        for s in g:
            lines += _source(s, headers[s.path], x0, y1, px, py)
        lines.append("  </VRTRasterBand>")
    lines.append("</VRTDataset>")
    return write_vrt("\n".join(lines) + "\n", name)


def _bounds(h: dict) -> tuple[float, float, float, float]:
    t = h["transform"]
    return t.c, t.f + h["height"] * t.e, t.c + h["width"] * t.a, t.f


def _union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _source(s: BandSource, h: dict, x0: float, y1: float, px: float, py: float) -> list[str]:
    """A ComplexSource placing `s` on the output grid by its georeferencing (fractional offsets allowed)."""
    t = h["transform"]
    nodata = s.nodata if s.nodata is not None else h["nodata"]
    by, bx = h["block"]
    dx, dy = (t.c - x0) / px, (y1 - t.f) / py
    dw, dh = h["width"] * abs(t.a) / px, h["height"] * abs(t.e) / py
    out = ["    <ComplexSource>",
           f'      <SourceFilename relativeToVRT="0">{escape(s.path)}</SourceFilename>',
           f"      <SourceBand>{s.index}</SourceBand>",
           f'      <SourceProperties RasterXSize="{h["width"]}" RasterYSize="{h["height"]}" '
           f'DataType="{_gdal_type(h["dtype"])}" BlockXSize="{bx}" BlockYSize="{by}"/>',
           f'      <SrcRect xOff="0" yOff="0" xSize="{h["width"]}" ySize="{h["height"]}"/>',
           f'      <DstRect xOff="{_g(dx)}" yOff="{_g(dy)}" xSize="{_g(dw)}" ySize="{_g(dh)}"/>']
    if nodata is not None:
        out.append(f"      <NODATA>{_num(nodata)}</NODATA>")
    if s.scale != 1.0 or s.offset != 0.0:
        out.append(f"      <ScaleOffset>{s.offset!r}</ScaleOffset>")
        out.append(f"      <ScaleRatio>{s.scale!r}</ScaleRatio>")
    out.append("    </ComplexSource>")
    return out


def _g(v: float) -> str:
    """Pixel offsets: integers when they are (the usual case), else the exact fraction."""
    return str(round(v)) if abs(v - round(v)) < 1e-9 else repr(v)


def _num(v: float) -> str:
    return "nan" if v != v else repr(float(v))


_TYPES = {"uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16", "uint32": "UInt32",
          "int32": "Int32", "float32": "Float32", "float64": "Float64", "int64": "Int64", "uint64": "UInt64"}


def _gdal_type(dtype: str) -> str:
    return _TYPES.get(dtype, "Float32")
