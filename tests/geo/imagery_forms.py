"""Writers of imagery in the forms users receive it, built from the same pixels as one GeoTIFF per date.

Faithful where the readers look: a Sentinel-2 L2A `.SAFE` (folder or zip) with JPEG 2000 bands at 10 and 20 m
named as ESA names them, the SCL at 20 m, and an `MTD_MSIL2A.xml` in the product's format (baseline, quantification
value, BOA_ADD_OFFSET per band_id since baseline 04.00); Copernicus Browser per-band downloads; multi-date stacks
with dated band descriptions; Sentinel-1 VV/VH as separate files; aerial natural-colour and colour-infrared sheets.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

from runner import modalities

S2 = modalities.band_names("s2")
MSI = modalities.get("s2").extra["msi_band_ids"]


def band_file_name(band: str) -> str:
    """B5 → B05, B8A and B11 unchanged, as ESA's file names spell them."""
    return f"B{band[1:].zfill(2)}" if band[1:].isdigit() else band


def twenty_metre(ref: np.ndarray) -> np.ndarray:
    """The 10-band reference with its 20 m bands made 2×2 block-constant, as a 20 m band read at 10 m is."""
    out = ref.copy()
    for i, b in enumerate(S2):
        if modalities.get("s2").band(b).resolution_m == 20:
            coarse = ref[i, ::2, ::2]
            out[i] = np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1)[:ref.shape[1], :ref.shape[2]]
    return out


def write_tif(path: Path, data: np.ndarray, transform: Affine, crs: str, descriptions=None, nodata=None,
              tags: dict | None = None, colorinterp=None, units=None, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = data if data.ndim == 3 else data[None]
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
                       dtype=data.dtype, crs=crs, transform=transform, nodata=nodata, **options) as dst:
        dst.write(data)
        for i, d in enumerate(descriptions or [], start=1):
            dst.set_band_description(i, d)
        if tags:
            dst.update_tags(**tags)
        if colorinterp:
            dst.colorinterp = colorinterp
        if units:
            dst.units = units
    return path


def _mtd(date: dt.date, baseline: str, offset: int | None, image_files: list[str]) -> str:
    start = f"{date.isoformat()}T10:36:29.024Z"
    files = "\n".join(f"              <IMAGE_FILE>{f}</IMAGE_FILE>" for f in image_files)
    offsets = "" if offset is None else (
        "        <BOA_ADD_OFFSET_VALUES_LIST>\n" + "".join(
            f'          <BOA_ADD_OFFSET band_id="{i}">{offset}</BOA_ADD_OFFSET>\n' for i in range(13)) +
        "        </BOA_ADD_OFFSET_VALUES_LIST>\n")
    spectral = "".join(f'        <Spectral_Information bandId="{i}" physicalBand="{b}"><RESOLUTION>10'
                       f"</RESOLUTION></Spectral_Information>\n" for i, b in enumerate(MSI))
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <n1:General_Info>
    <Product_Info>
      <PRODUCT_START_TIME>{start}</PRODUCT_START_TIME>
      <PRODUCT_STOP_TIME>{start}</PRODUCT_STOP_TIME>
      <PRODUCT_URI>product.SAFE</PRODUCT_URI>
      <PROCESSING_LEVEL>Level-2A</PROCESSING_LEVEL>
      <PRODUCT_TYPE>S2MSI2A</PRODUCT_TYPE>
      <PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
      <Datatake datatakeIdentifier="GS2B_{date:%Y%m%d}T103629_032287_N{baseline.replace('.', '')}">
        <SPACECRAFT_NAME>Sentinel-2B</SPACECRAFT_NAME>
        <DATATAKE_SENSING_START>{start}</DATATAKE_SENSING_START>
      </Datatake>
      <Product_Organisation>
        <Granule_List>
          <Granule granuleIdentifier="L2A_T32ULU" imageFormat="JPEG2000">
{files}
          </Granule>
        </Granule_List>
      </Product_Organisation>
    </Product_Info>
    <Product_Image_Characteristics>
      <Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX>
      </Special_Values>
      <QUANTIFICATION_VALUES_LIST>
        <BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
        <AOT_QUANTIFICATION_VALUE unit="none">1000.0</AOT_QUANTIFICATION_VALUE>
        <WVP_QUANTIFICATION_VALUE unit="cm">1000.0</WVP_QUANTIFICATION_VALUE>
      </QUANTIFICATION_VALUES_LIST>
{offsets}      <Spectral_Information_List>
{spectral}      </Spectral_Information_List>
    </Product_Image_Characteristics>
  </n1:General_Info>
</n1:Level-2A_User_Product>
"""


def write_safe(folder: Path, date: dt.date, reflectance: np.ndarray, scl: np.ndarray | None, transform: Affine,
               crs: str, baseline: str = "05.09", tile: str = "32ULU", as_zip: bool = False,
               drop: tuple[str, ...] = ()) -> Path:
    """A Sentinel-2 L2A product holding `reflectance` (10 bands ×10000, 0 = nodata) as the baseline encodes it:
    DN = reflectance + 1000 since 04.00 (BOA_ADD_OFFSET −1000), DN = reflectance before."""
    offset = -1000 if baseline >= "04.00" else None
    name = f"S2B_MSIL2A_{date:%Y%m%d}T103629_N{baseline.replace('.', '')}_R008_T{tile}_{date:%Y%m%d}T134540.SAFE"
    root = folder / name
    granule = f"GRANULE/L2A_T{tile}_A032287_{date:%Y%m%d}T103803/IMG_DATA"
    stem = f"T{tile}_{date:%Y%m%d}T103629"
    files = []
    for i, b in enumerate(S2):
        if b in drop:
            continue
        res = int(modalities.get("s2").band(b).resolution_m)
        data = reflectance[i] if res == 10 else reflectance[i, ::2, ::2]
        dn = np.where(data > 0, data.astype(np.int32) - (offset or 0), 0).astype(np.uint16)
        rel = f"{granule}/R{res}m/{stem}_{band_file_name(b)}_{res}m"
        _jp2(root / f"{rel}.jp2", dn, _scaled(transform, res // 10), crs)
        files.append(rel)
    if scl is not None:
        rel = f"{granule}/R20m/{stem}_SCL_20m"
        _jp2(root / f"{rel}.jp2", scl.astype(np.uint8), _scaled(transform, 2), crs)
        files.append(rel)
    (root / "MTD_MSIL2A.xml").write_text(_mtd(date, baseline, offset, files))
    if as_zip:
        archive = shutil.make_archive(str(folder / name), "zip", root_dir=folder, base_dir=name)
        shutil.rmtree(root)
        return Path(archive)
    return root


def _scaled(t: Affine, k: int) -> Affine:
    return Affine(t.a * k, t.b, t.c, t.d, t.e * k, t.f)


def _jp2(path: Path, data: np.ndarray, transform: Affine, crs: str) -> None:
    """Lossless JPEG 2000, as ESA writes the L2A bands (GDAL's JP2OpenJPEG driver)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="JP2OpenJPEG", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=data.dtype, crs=crs, transform=transform, QUALITY="100", REVERSIBLE="YES") as dst:
        dst.write(data, 1)


def browser_name(date: dt.date, band: str, sensor: str = "Sentinel-2_L2A") -> str:
    """The Copernicus Browser's name of a per-band download."""
    return f"{date.isoformat()}-00:00_{date.isoformat()}-23:59_{sensor}_{band}_(Raw).tiff"


def _date_of(path: Path) -> dt.date:
    return dt.datetime.strptime(path.stem.split("_")[1], "%Y%m%d").date()


def build_forms(scene: Path, out: Path, n_dates: int = 6) -> dict:
    """From a synthetic scene (runner/geo/scene.py), the same pixels in every form, plus the per-date reference.

    S2: reference GeoTIFFs (20 m bands block-constant) and SCL masks; SAFE products (alternately folders with
    baseline 05.09 and zips with baseline 03.01); Copernicus Browser per-band files; one stack (`B4_20210106`).
    S1: the reference as is (linear power), VV/VH files tagged as linear power, a stack in dB (`20210109_VV`).
    Aerial: natural-colour (R, G, B) and colour-infrared (NIR, R, G) products."""
    s2_files = sorted((scene / "s2").glob("*.tif"))[:n_dates]
    s1_files = sorted((scene / "s1").glob("*.tif"))[:n_dates]
    forms: dict = {k: [] for k in ("ref_s2", "scl", "safe", "browser", "s1_bands")}
    stack_bands, stack_names = [], []
    for k, path in enumerate(s2_files):
        date = _date_of(path)
        with rasterio.open(path) as src:
            ref = twenty_metre(src.read())
            t, crs = src.transform, src.crs.to_string()
        scl = np.full((ref.shape[1] // 2, ref.shape[2] // 2), 4, dtype=np.uint8)
        scl[: 3 + k, : 4] = 9  # a cloud in the north-west corner, growing with the date
        forms["ref_s2"].append(write_tif(out / "ref_s2" / f"S2_{date:%Y%m%d}.tif", ref, t, crs, S2, nodata=0))
        forms["scl"].append(write_tif(out / "ref_scl" / f"SCL_{date:%Y%m%d}.tif", scl, _scaled(t, 2), crs))
        forms["safe"].append(write_safe(out / "safe", date, ref, scl, t, crs, baseline="05.09" if k % 2 == 0
                                        else "03.01", as_zip=k % 2 == 1))
        for i, b in enumerate(S2):
            forms["browser"].append(write_tif(out / "browser" / browser_name(date, band_file_name(b)), ref[i], t,
                                              crs, nodata=0))
            stack_bands.append(ref[i])
            stack_names.append(f"{b.replace('B0', 'B')}_{date:%Y%m%d}")
    forms["stack"] = write_tif(out / "stack" / "s2_stack.tif", np.stack(stack_bands), t, crs, stack_names, nodata=0)
    forms["ref_s1"] = s1_files
    db_bands, db_names = [], []
    for path in s1_files:
        date = _date_of(path)
        with rasterio.open(path) as src:
            lin, t1, crs1 = src.read(), src.transform, src.crs.to_string()
        for i, pol in enumerate(("VV", "VH")):
            forms["s1_bands"].append(write_tif(out / "s1_bands" / f"S1_{date:%Y%m%d}_{pol}.tif", lin[i], t1, crs1,
                                               tags={"UNIT": "linear power"}))
            with np.errstate(divide="ignore"):
                db_bands.append((10.0 * np.log10(lin[i])).astype(np.float32))
            db_names.append(f"{date:%Y%m%d}_{pol}")
    forms["s1_stack"] = write_tif(out / "s1_stack" / "s1_db_stack.tif", np.stack(db_bands), t1, crs1, db_names,
                                  tags={"UNIT": "dB"})
    with rasterio.open(scene / "aerial.tif") as src:
        a, ta, crsa = src.read(), src.transform, src.crs.to_string()
    from rasterio.enums import ColorInterp as CI

    rgb_ci, forms["ref_aerial"] = [CI.red, CI.green, CI.blue], scene / "aerial.tif"
    forms["aerial_parts"] = [
        write_tif(out / "aerial" / "ORTHO_RVB_0M50.tif", a[:3], ta, crsa, colorinterp=rgb_ci),
        write_tif(out / "aerial" / "ORTHO_IRC_0M50.tif", a[[3, 0, 1]], ta, crsa, colorinterp=rgb_ci),
    ]
    return forms
