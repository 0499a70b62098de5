"""Open a raster with its alpha flag cleared: for data bands that a writer flagged as alpha by mistake.

Why: GDAL writes 4-band byte GeoTIFFs as RGB + alpha unless told otherwise, so many R, G, B, NIR aerial images
carry their NIR band as "alpha", and GDAL's warper auto-detects that flag and weights or blanks pixels by the
NIR values. Opening the file through an in-memory VRT whose bands have no colour interpretation reads the same
pixels without that meaning; the file itself is not touched.
"""

from __future__ import annotations

from html import escape  # XML text: &, <, > and quotes, as for HTML

import rasterio

GDAL_TYPES = {"uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16", "uint32": "UInt32",
              "int32": "Int32", "float32": "Float32", "float64": "Float64"}


def without_alpha_vrt(path: str) -> str:
    """A VRT document (GDAL opens it as a dataset name) with `path`'s bands, size, CRS, transform and nodata,
    every band's colour interpretation Undefined."""
    with rasterio.open(path) as src:
        t = src.transform
        bands = []
        for i, dtype in enumerate(src.dtypes, start=1):
            nodata = f"<NoDataValue>{src.nodata!r}</NoDataValue>" if src.nodata is not None else ""
            bands.append(
                f'<VRTRasterBand dataType="{GDAL_TYPES[dtype]}" band="{i}"><ColorInterp>Undefined</ColorInterp>'
                f'{nodata}<SimpleSource><SourceFilename relativeToVRT="0">{escape(path)}</SourceFilename>'
                f"<SourceBand>{i}</SourceBand></SimpleSource></VRTRasterBand>")
        return (f'<VRTDataset rasterXSize="{src.width}" rasterYSize="{src.height}">'
                f"<SRS>{escape(src.crs.to_wkt())}</SRS>"
                f"<GeoTransform>{t.c!r}, {t.a!r}, {t.b!r}, {t.f!r}, {t.d!r}, {t.e!r}</GeoTransform>"
                + "".join(bands) + "</VRTDataset>")
