"""`python -m runner make-scene`: a synthetic tri-modal scene in exactly the form of real downloads.

Forest stands and crop parcels (Voronoi parcels; forests where a smooth random field is high) as labelled polygons
(`labels.gpkg`, fields class_name and color), a 4-band aerial image (R, G, B, NIR; default 0.2 m) with crowns,
crop rows and noise in EPSG:3035, and Sentinel-2 (10 bands, ×10000, some cloudy dates) and Sentinel-1 (VV, VH,
linear power with speckle) series in UTM 32N, one GeoTIFF per date with the date in its name. Deterministic by seed;
written window by window, so memory does not grow with the size.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import rasterio
import rasterio.features
import shapely
from affine import Affine
from pyproj import Transformer
from rasterio.enums import Resampling

from runner import modalities
from runner.geo.scene_classes import AERIAL_RGBN, CLASSES, CROP_SHARES, S2_BAND_NAMES, s1_db, s2_spectrum

UTM = "EPSG:32632"
AERIAL_CRS = "EPSG:3035"
ORIGIN = (500000.0, 5800000.0)  # top-left corner in UTM 32N (Lower Saxony)
FINE = 2.0  # metres: resolution of the parcel raster the sensors are simulated from
GTIFF = dict(driver="GTiff", tiled=True, blockxsize=256, blockysize=256, compress="deflate")
# Bumped when the files change in a way a cached scene must not hide (2: aerial NIR no longer flagged as alpha)
SCENE_VERSION = 2


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], scale: int) -> np.ndarray:
    """A smooth random field in [0, 1]: coarse noise upsampled bilinearly."""
    ch, cw = max(2, shape[0] // scale + 2), max(2, shape[1] // scale + 2)
    coarse = rng.random((ch, cw)).astype(np.float32)
    ys = np.linspace(0, ch - 1.001, shape[0])
    xs = np.linspace(0, cw - 1.001, shape[1])
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    c = coarse
    return (c[y0][:, x0] * (1 - fy) * (1 - fx) + c[y0 + 1][:, x0] * fy * (1 - fx)
            + c[y0][:, x0 + 1] * (1 - fy) * fx + c[y0 + 1][:, x0 + 1] * fy * fx)


def _parcels(rng: np.random.Generator, size_m: float) -> tuple[list, np.ndarray]:
    """Voronoi parcels over the square, each with a class index (forests clustered, water rare)."""
    x0, y0 = ORIGIN
    n = max(12, int((size_m / 110.0) ** 2))
    pts = shapely.points(rng.uniform(x0, x0 + size_m, n), rng.uniform(y0 - size_m, y0, n))
    box = shapely.box(x0, y0 - size_m, x0 + size_m, y0)
    cells = [shapely.intersection(c, box) for c in shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(pts), extend_to=box))]
    cells = [c for c in cells if not c.is_empty and c.area > 50]
    field = _smooth_field(rng, (64, 64), 16)
    names = [c[0] for c in CLASSES]
    crops = list(CROP_SHARES)
    probs = np.array([CROP_SHARES[c] for c in crops])
    classes = []
    for c in cells:
        cx, cy = c.centroid.x, c.centroid.y
        f = field[int((y0 - cy) / size_m * 63), int((cx - x0) / size_m * 63)]
        if f > 0.68:
            cls = names.index("Conifer forest") if rng.random() < 0.6 else names.index("Broadleaf forest")
        elif f > 0.6:
            cls = names.index("Broadleaf forest")
        elif rng.random() < 0.03:
            cls = names.index("Water")
        else:
            cls = names.index(crops[rng.choice(len(crops), p=probs)])
        classes.append(cls)
    return cells, np.array(classes)


def _dates(rng: np.random.Generator, n: int, offset: int) -> list[dt.date]:
    start = dt.date(2021, 1, 1)
    days = np.linspace(5 + offset, 360, n).round().astype(int) + rng.integers(-2, 3, n)
    return sorted({start + dt.timedelta(days=int(np.clip(d, 0, 364))) for d in days})


def make_scene(out_dir: str | Path, size_km: float = 2.0, seed: int = 0, aerial_res: float = 0.2,
               n_s2: int = 24, n_s1: int = 24, labels: bool = True) -> dict:
    """`labels=False` writes no label polygons (and needs no pyogrio): enough for classifying."""
    out = Path(out_dir)
    (out / "s2").mkdir(parents=True, exist_ok=True)
    (out / "s1").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    size_m = float(size_km) * 1000.0
    cells, classes = _parcels(rng, size_m)
    fine_n = int(round(size_m / FINE))
    fine_tr = Affine(FINE, 0, ORIGIN[0], 0, -FINE, ORIGIN[1])
    parcel_id = rasterio.features.rasterize([(c, i + 1) for i, c in enumerate(cells)], out_shape=(fine_n, fine_n),
                                            transform=fine_tr, fill=0, dtype="int32")
    class_of_parcel = np.concatenate([[0], classes])
    # every parcel its own vigour and its own sowing/leaf-out date: classes overlap as in real fields
    gain = np.concatenate([[1.0], rng.uniform(0.85, 1.15, len(cells))]).astype(np.float32)
    shift = np.concatenate([[0.0], rng.normal(0, 12, len(cells))]).astype(np.float32)

    keep = rng.random(len(cells)) > 0.1  # drawn either way: a seed's imagery does not depend on `labels`
    labels_path = _write_labels(out / "labels.gpkg", keep, cells, classes) if labels else None
    s2_files = _write_s2(out / "s2", rng, parcel_id, class_of_parcel, shift, gain)
    s1_files = _write_s1(out / "s1", rng, parcel_id, class_of_parcel, shift)
    aerial = _write_aerial(out / "aerial.tif", rng, parcel_id, class_of_parcel, size_m, aerial_res)
    (out / "README.md").write_text(
        f"# Synthetic scene (seed {seed}, {size_km} km)\n\nThis scene is SYNTHETIC, made by `python -m runner "
        "make-scene` for demos, tests and benchmarks. It imitates real downloads: an aerial image (R, G, B, NIR, "
        f"{aerial_res} m, {AERIAL_CRS}), Sentinel-2 L2A-like series (10 bands ×10000, {UTM}, some cloudy dates) and "
        f"Sentinel-1 GRD-like series (VV, VH linear power with speckle, {UTM}), one GeoTIFF per date, and label "
        "polygons (`labels.gpkg`, fields `class_name`, `color`). Classes: "
        + ", ".join(n for n, _ in CLASSES) + ".\n")
    meta = {"aerial": aerial, "s2": s2_files, "s1": s1_files, "readme": out / "README.md"}
    if labels_path is not None:
        meta["labels"] = labels_path
    (out / "scene.json").write_text(json.dumps({k: str(v) if not isinstance(v, list) else [str(x) for x in v]
                                                for k, v in meta.items()}, indent=1))
    return meta


def _write_labels(path: Path, keep: np.ndarray, cells: list, classes: np.ndarray) -> Path:
    """Polygons as an analyst would draw them: slightly inside the parcel edges; a few parcels left unlabelled."""
    import pyogrio.raw as ogr_raw  # here, so classifying never needs pyogrio (the GPU check's offline wheels)

    geoms = [shapely.buffer(c, -3.0) for c, k in zip(cells, keep, strict=True) if k]
    cls = classes[keep]
    ok = [not g.is_empty for g in geoms]
    geoms = [g for g, o in zip(geoms, ok, strict=True) if o]
    cls = cls[np.array(ok, dtype=bool)]
    names = np.array([CLASSES[c][0] for c in cls], dtype=object)
    colors = np.array([CLASSES[c][1] for c in cls], dtype=object)
    path.unlink(missing_ok=True)
    wkb = np.array([shapely.to_wkb(shapely.multipolygons(shapely.get_parts(g))) for g in geoms], dtype=object)
    ogr_raw.write(str(path), geometry=wkb, field_data=[names, colors], fields=["class_name", "color"], crs=UTM,
                  geometry_type="MultiPolygon", driver="GPKG", layer="labels")
    return path


def _block_mean(fine: np.ndarray, factor: int) -> np.ndarray:
    """(H·f, W·f, C) → (H, W, C): the 10 m pixel as the mean of its 2 m sub-pixels (mixed pixels at edges)."""
    h, w = fine.shape[0] // factor, fine.shape[1] // factor
    return fine[:h * factor, :w * factor].reshape(h, factor, w, factor, -1).mean(axis=(1, 3))


def _write_s2(folder: Path, rng: np.random.Generator, parcel_id: np.ndarray, class_of_parcel: np.ndarray,
              shift: np.ndarray, gain: np.ndarray) -> list[Path]:
    """Each parcel follows its class's curve shifted by its own sowing date and scaled by its own vigour."""
    factor = int(10 / FINE)
    h, w = parcel_id.shape[0] // factor, parcel_id.shape[1] // factor
    tr = Affine(10.0, 0, ORIGIN[0], 0, -10.0, ORIGIN[1])
    names = [CLASSES[c][0] for c in class_of_parcel]
    files = []
    for d in _dates(rng, 24, 0):
        doy = d.timetuple().tm_yday
        spectra = np.stack([s2_spectrum(n, doy + s) for n, s in zip(names, shift, strict=True)]) * gain[:, None]
        img = _block_mean(spectra[parcel_id].astype(np.float32), factor) * (1 + rng.normal(0, 0.05, (h, w, 1)))
        if rng.random() < 0.3:  # a cloudy date: bright, flat-spectrum blobs
            cloud = _smooth_field(rng, (h, w), 25) > 0.6
            img[cloud] = rng.uniform(4500, 6500) * np.array([1, 1, 1, .98, .97, .97, .96, .95, .75, .6])
        img = np.clip(img, 1, 65535).astype(np.uint16).transpose(2, 0, 1)
        path = folder / f"S2_{d:%Y%m%d}.tif"
        with rasterio.open(path, "w", width=w, height=h, count=10, dtype="uint16", crs=UTM, transform=tr, nodata=0,
                           **GTIFF) as dst:
            dst.write(img)
            for i, b in enumerate(S2_BAND_NAMES, start=1):
                dst.set_band_description(i, b)
            dst.update_tags(ACQUISITION_DATETIME=f"{d.isoformat()}T10:30:00Z", PRODUCT_ID="SYNTHETIC_S2_L2A",
                            SOURCE="synthetic scene (runner make-scene)")
        files.append(path)
    return files


def _write_s1(folder: Path, rng: np.random.Generator, parcel_id: np.ndarray, class_of_parcel: np.ndarray,
              shift: np.ndarray) -> list[Path]:
    factor = int(10 / FINE)
    h, w = parcel_id.shape[0] // factor, parcel_id.shape[1] // factor
    tr = Affine(10.0, 0, ORIGIN[0], 0, -10.0, ORIGIN[1])
    names = [CLASSES[c][0] for c in class_of_parcel]
    files = []
    for d in _dates(rng, 24, 3):
        doy = d.timetuple().tm_yday
        db = np.array([s1_db(n, doy + s) for n, s in zip(names, shift, strict=True)], dtype=np.float32)
        linear = _block_mean((10.0 ** (db / 10.0))[parcel_id], factor)
        speckle = rng.gamma(4.0, 1 / 4.0, (h, w, 2)).astype(np.float32)
        img = (linear * speckle).astype(np.float32).transpose(2, 0, 1)
        path = folder / f"S1_{d:%Y%m%d}.tif"
        with rasterio.open(path, "w", width=w, height=h, count=2, dtype="float32", crs=UTM, transform=tr,
                           **GTIFF) as dst:
            dst.write(img)
            for i, b in enumerate(modalities.band_names("s1"), start=1):
                dst.set_band_description(i, b)
            dst.update_tags(ACQUISITION_DATETIME=f"{d.isoformat()}T17:20:00Z", PRODUCT_ID="SYNTHETIC_S1_GRD",
                            SOURCE="synthetic scene (runner make-scene)")
        files.append(path)
    return files


def _write_aerial(path: Path, rng: np.random.Generator, parcel_id: np.ndarray, class_of_parcel: np.ndarray,
                  size_m: float, res: float) -> Path:
    to_3035 = Transformer.from_crs(UTM, AERIAL_CRS, always_xy=True)
    back = Transformer.from_crs(AERIAL_CRS, UTM, always_xy=True)
    x0, y1 = ORIGIN
    xmin, ymin, xmax, ymax = to_3035.transform_bounds(x0, y1 - size_m, x0 + size_m, y1, densify_pts=21)
    w, h = int((xmax - xmin) / res), int((ymax - ymin) / res)
    tr = Affine(res, 0, xmin, 0, -res, ymax)
    colours = np.array([AERIAL_RGBN[name] for name, _ in CLASSES], dtype=np.float32)
    crowns = _crown_texture(rng)
    angle = rng.uniform(0, np.pi, len(class_of_parcel)).astype(np.float32)
    forest = np.isin(np.arange(len(CLASSES)), [0, 1])
    block = 1024
    # RGB with the fourth band unspecified: GDAL's default for 4-band bytes flags it as alpha, which NIR is not
    with rasterio.open(path, "w", width=w, height=h, count=4, dtype="uint8", crs=AERIAL_CRS, transform=tr,
                       photometric="RGB", alpha="UNSPECIFIED", **GTIFF) as dst:
        for r in range(0, h, block):
            for c in range(0, w, block):
                bh, bw = min(block, h - r), min(block, w - c)
                xs = xmin + (c + np.arange(bw) + 0.5) * res
                ys = ymax - (r + np.arange(bh) + 0.5) * res
                gx, gy = np.meshgrid(xs, ys)
                ux, uy = back.transform(gx, gy)
                col = np.clip(((ux - x0) / FINE).astype(int), 0, parcel_id.shape[1] - 1)
                row = np.clip(((y1 - uy) / FINE).astype(int), 0, parcel_id.shape[0] - 1)
                pid = parcel_id[row, col]
                cls = class_of_parcel[pid]
                outside = (ux < x0) | (ux > x0 + size_m) | (uy < y1 - size_m) | (uy > y1)
                img = colours[cls].copy()
                tex = crowns[((uy * 4).astype(int)) % crowns.shape[0], ((ux * 4).astype(int)) % crowns.shape[1]]
                is_forest = forest[cls]
                img[is_forest] *= (0.55 + 0.9 * tex[is_forest])[:, None]
                a = angle[pid]
                rows_pattern = np.sin(2 * np.pi * (ux * np.cos(a) + uy * np.sin(a)) / 0.75)
                crop = ~is_forest & (cls != len(CLASSES) - 1)
                img[crop] *= (1 + 0.12 * rows_pattern[crop])[:, None]
                img += rng.normal(0, 5, img.shape).astype(np.float32)
                img[outside] = 0
                dst.write(np.clip(img, 0, 255).astype(np.uint8).transpose(2, 0, 1),
                          window=rasterio.windows.Window(c, r, bw, bh))
        for i, b in enumerate(modalities.band_names("aerial")[:4], start=1):
            dst.set_band_description(i, b)
        dst.update_tags(SOURCE="synthetic scene (runner make-scene)", ACQUISITION_DATETIME="2021-06-20T11:00:00Z")
    with rasterio.open(path, "r+") as dst:
        factors = [f for f in (2, 4, 8, 16, 32, 64) if min(w, h) // f >= 64]
        if factors:
            dst.build_overviews(factors, Resampling.average)
    return path


def _crown_texture(rng: np.random.Generator, size: int = 512) -> np.ndarray:
    """Tree crowns on a 128 m × 128 m repeating tile at 0.25 m: bright domes with dark gaps, values 0..1."""
    tex = np.zeros((size, size), dtype=np.float32)
    for _ in range(900):
        cy, cx = rng.integers(0, size, 2)
        r = rng.uniform(6, 16)  # 1.5 to 4 m radius
        ri = int(np.ceil(r))
        off = np.arange(-ri, ri + 1)
        dome = np.sqrt(np.clip(1 - (off[:, None] ** 2 + off[None, :] ** 2) / r ** 2, 0, 1)).astype(np.float32)
        rows, cols = (cy + off) % size, (cx + off) % size
        tex[np.ix_(rows, cols)] = np.maximum(tex[np.ix_(rows, cols)], dome)
    return tex
