"""Remote mode against a real runner on 127.0.0.1 with path reading disabled: inputs go up as uploads."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from omnisat_qgis.remote import RemoteError, RemoteFiles, RemoteJob, needs_upload

gdal.UseExceptions()


def _geotiff(path: Path, seed: int, bands: int = 4) -> np.ndarray:
    data = np.random.default_rng(seed).integers(0, 10000, size=(bands, 30, 40), dtype=np.uint16)
    ds = gdal.GetDriverByName("GTiff").Create(str(path), 40, 30, bands, gdal.GDT_UInt16)
    ds.SetGeoTransform((500000, 10, 0, 4500000, 0, -10))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32631)
    ds.SetProjection(srs.ExportToWkt())
    for b in range(bands):
        ds.GetRasterBand(b + 1).WriteArray(data[b])
    ds = None
    return data


def _shapefile(path: Path) -> None:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32631)
    ds = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(str(path))
    layer = ds.CreateLayer("labels", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("crop", ogr.OFTString))
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetField("crop", "wheat")
    feature.SetGeometry(ogr.CreateGeometryFromWkt("POLYGON((500010 4499990,500100 4499990,500100 4499900,"
                                                  "500010 4499900,500010 4499990))"))
    layer.CreateFeature(feature)
    ds = None


def test_remote_job_uploads_inputs_and_runner_accepts_only_uploads(remote_runner, tmp_path: Path) -> None:
    health = remote_runner.get("/v1/health")
    assert needs_upload(health)
    user = tmp_path / "user data"
    user.mkdir()
    s2 = [user / "S2_2021-04-01.tif", user / "S2_2021-06-01.tif"]
    arrays = [_geotiff(p, i) for i, p in enumerate(s2)]
    _shapefile(user / "labels.shp")
    spec = {"s2": [str(p) for p in s2], "labels": str(user / "labels.shp"), "class_field": "crop",
            "out_model": "remote-test", "size": "tiny", "epochs": 1}

    # the runner refuses the user's own paths
    status, answer = remote_runner.post("/v1/jobs", {"kind": "finetune", "spec": spec})
    assert status == 403 and "not an upload" in answer["detail"]

    files = RemoteFiles(remote_runner.url, remote_runner.token)
    job = RemoteJob(files)
    remote_spec = job.prepare(spec)
    uploads = (remote_runner.home / "uploads").resolve()
    for p in [*remote_spec["s2"], remote_spec["labels"]]:
        assert Path(p).resolve().is_relative_to(uploads), p
    label_dir = Path(remote_spec["labels"]).parent
    assert sorted(f.name for f in label_dir.iterdir()) == ["labels.dbf", "labels.prj", "labels.shp", "labels.shx"]
    for local, remote in zip(s2, remote_spec["s2"], strict=True):
        assert Path(remote).name == local.name
        assert gdal.Open(remote).ReadAsArray().tolist() == gdal.Open(str(local)).ReadAsArray().tolist()
    assert remote_spec["class_field"] == "crop" and spec["s2"][0] == str(s2[0])      # the user's spec untouched

    status, created = remote_runner.post("/v1/jobs", {"kind": "finetune", "spec": remote_spec})
    assert status == 201, created
    assert remote_runner.get(f"/v1/jobs/{created['id']}")["spec"]["s2"] == remote_spec["s2"]

    # outputs go to a runner-made folder under its home; results come back next to the user's chosen path
    classify = job.prepare({"model": "remote-test", "s2": [str(p) for p in s2], "out": str(user / "out" / "map.tif")})
    assert classify["s2"] == remote_spec["s2"]                                       # each file uploaded once
    out_dir = Path(classify["out"]).parent
    assert out_dir.parent == remote_runner.home / "outputs" and Path(classify["out"]).name == "map.tif"
    # stand-in for the classify job's files (the job itself is covered by the runner's end-to-end tests)
    _geotiff(Path(classify["out"]), 7, bands=1)
    (out_dir / "map.qml").write_text("<qgis/>")
    local = job.fetch({"class_map": classify["out"], "qml": str(out_dir / "map.qml"), "confidence": None,
                       "areas": []})
    assert local["class_map"] == str(user / "out" / "map.tif") and local["qml"] == str(user / "out" / "map.qml")
    assert gdal.Open(local["class_map"]).ReadAsArray().shape == (30, 40)
    assert local["confidence"] is None and not list((user / "out").glob("*.part"))
    assert arrays[0].shape == (4, 30, 40)


def test_upload_is_streamed_and_errors_name_the_file(remote_runner, tmp_path: Path) -> None:
    big = tmp_path / "big.tif"
    with open(big, "wb") as f:
        for i in range(48):
            f.write(bytes([i]) * (1024 * 1024))
    files = RemoteFiles(remote_runner.url, remote_runner.token)
    progress: list[int] = []
    tracemalloc.start()
    answer = files.upload(str(big), progress=lambda name, done, total: progress.append(done))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert answer["size"] == 48 * 1024 * 1024 and Path(answer["path"]).stat().st_size == answer["size"]
    assert peak < 8 * 1024 * 1024, f"upload held {peak} bytes in memory"
    assert progress[-1] == answer["size"] and len(progress) >= 48
    with pytest.raises(RemoteError, match="input file .*missing.tif does not exist"):
        files.upload(str(tmp_path / "missing.tif"))
    with pytest.raises(RemoteError, match="403"):
        files.download("/etc/passwd", str(tmp_path / "passwd"))
    assert not (tmp_path / "passwd").exists()
    with pytest.raises(RemoteError, match="401"):
        RemoteFiles(remote_runner.url, "wrong").output_folder()
    vrt = tmp_path / "mosaic.vrt"
    vrt.write_text("<VRTDataset/>")
    with pytest.raises(RemoteError, match="aerial: .*mosaic.vrt is a VRT"):
        RemoteJob(files).prepare({"aerial": str(vrt)})
