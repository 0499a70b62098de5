"""Operations end to end in-process: pretrain → finetune → classify on the synthetic scene, and their refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

from runner.errors import Cancelled, InputError, ResourceError
from runner.ops import run_operation
from tests.ops.conftest import RecordingContext, inputs


def test_finetuned_tiny_model_beats_chance_on_held_out_blocks(trained) -> None:
    metrics = trained["finetune"]["metrics"]
    k = len(trained["finetune"]["classes"])
    assert k >= 4
    assert metrics["macro_f1"] > 1.0 / k + 0.3, metrics       # validation blocks are spatially disjoint
    assert metrics["overall_accuracy"] > 0.6
    kinds = [e[0] for e in trained["ft_ctx"].events]
    assert "labels" in kinds and any("spatially disjoint" in e[1] for e in trained["ft_ctx"].events)
    card = json.loads((trained["home"] / "models" / "clf" / "card.json").read_text())
    assert card["base_model"] == "pre" and card["kind"] == "classifier"
    assert card["norm"]["bands"]["s2"][0] == "B2" and card["grid"]["tile_patches"] == 6
    assert [c["name"] for c in card["classes"]] == [c["name"] for c in trained["finetune"]["classes"]]


def test_training_reads_each_tile_once_and_leaves_no_cache_behind(trained) -> None:
    ctx = trained["ft_ctx"]
    cached = [data for kind, _, data in ctx.events if kind == "tile cache"]
    card = json.loads((trained["home"] / "models" / "clf" / "card.json").read_text())
    tiles = card["training"]["train_tiles"] + card["training"]["val_tiles"]
    assert len(cached) == 1 and cached[0]["tiles"] == tiles
    assert cached[0]["misses"] == tiles                                    # each tile read from the files once
    assert cached[0]["hits"] >= (card["training"]["epochs"] - 1) * tiles   # every later epoch from the cache
    assert not list(ctx.work_dir.glob("tile-cache*"))


class CancelAfterFirstEpoch(RecordingContext):
    def _on_event(self, kind: str, message: str, data: dict) -> None:
        super()._on_event(kind, message, data)
        if kind == "epoch":
            self.cache_files = list(self.work_dir.glob("tile-cache*/*.npz"))
            self.cancel()


def test_a_cancelled_training_removes_its_cache(trained, scene: Path) -> None:
    ctx = CancelAfterFirstEpoch(trained["home"], "ft-cancelled")
    with pytest.raises(Cancelled):
        run_operation("finetune", {**inputs(scene), "model": "pre", "labels": str(scene / "labels.gpkg"),
                                   "class_field": "class_name", "out_model": "never", "epochs": 5}, ctx)
    assert ctx.cache_files                           # the cache was in use ...
    assert not list(ctx.work_dir.glob("tile-cache*"))  # ... and is gone with the job


def test_classify_writes_a_styled_map_that_matches_the_labels(trained, scene: Path, tmp_path: Path) -> None:
    ctx = RecordingContext(trained["home"], "cl")
    out = tmp_path / "map.tif"
    result = run_operation("classify", {**inputs(scene), "model": "clf", "out": str(out)}, ctx)
    assert Path(result["class_map"]) == out and Path(result["qml"]).exists() and Path(result["confidence"]).exists()
    with rasterio.open(out) as src:
        classes = src.read(1)
        assert src.crs.to_epsg() == 32632
    assert (classes > 0).all()  # every patch of the extent classified
    from runner.geo import GridSpec, rasterise_labels

    g = GridSpec("EPSG:32632", src.bounds.left, src.bounds.bottom, src.bounds.right, src.bounds.top, 10, 6)
    lab = rasterise_labels(str(scene / "labels.gpkg"), "class_name", g, classes=None)
    values = {c.name: c.value for c in lab.classes}
    value_of = {c["name"]: c["value"] for c in result["classes"]}
    truth = np.vectorize(lambda i: value_of[lab.classes[i].name] if i >= 0 else 0)(lab.labels)
    agree = (classes == truth)[truth > 0].mean()
    assert agree > 0.7, agree  # training + validation polygons: the map reproduces what it learnt
    assert values and ctx.progress_log[-1]["done"] == ctx.progress_log[-1]["total"]
    assert sum(a["hectares"] for a in result["areas"]) == pytest.approx(classes.size * 0.01)
    # where the time went, reported with the result and as an event: stages add up to the loop's wall time
    t = result["timings"]
    assert {"read", "model", "write", "total"} <= set(t) and t["model"] > 0
    assert t["read"] + t["model"] + t["write"] <= t["total"] + 1e-3
    assert any(kind == "timings" for kind, _, _ in ctx.events)
    assert result["batch_size"] == 8 and result["device"] == "cpu"   # not set by the user: sized by the runner
    import resource

    # the job's own peak memory: at least the model and torch, at most what this process ever held
    assert 100 < result["peak_rss_mb"] <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + 1


def test_nir_flagged_as_alpha_gives_the_same_map_and_says_so(trained, scene: Path, tmp_path: Path) -> None:
    """The scene's R, G, B, NIR aerial re-flagged as GDAL writes 4-band bytes by default (NIR = alpha)."""
    from rasterio.enums import ColorInterp

    flagged = tmp_path / "aerial_rgba.tif"
    flagged.write_bytes((scene / "aerial.tif").read_bytes())
    with rasterio.open(flagged, "r+") as dst:
        dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.alpha]
    maps = {}
    for name, aerial in (("plain", scene / "aerial.tif"), ("flagged", flagged)):
        ctx = RecordingContext(trained["home"], f"alpha-{name}")
        result = run_operation("classify", {**inputs(scene), "aerial": str(aerial), "model": "clf",
                                            "out": str(tmp_path / f"{name}.tif")}, ctx)
        with rasterio.open(result["class_map"]) as src:
            maps[name] = src.read(1)
        notices = [m for kind, m, _ in ctx.events if kind == "input"]
        assert notices == ([] if name == "plain" else [notices[0]])
    assert "aerial_rgba.tif: band 4 is flagged as alpha" in notices[0]
    np.testing.assert_array_equal(maps["flagged"], maps["plain"])


def test_s2_only_inference_on_a_trimodal_model(trained, scene: Path, tmp_path: Path) -> None:
    result = run_operation("classify", {**inputs(scene, ("s2",)), "model": "clf", "out": str(tmp_path / "s2.tif")},
                           RecordingContext(trained["home"], "s2"))
    assert result["modalities"] == ["s2"]
    with rasterio.open(result["class_map"]) as src:
        assert (src.read(1) > 0).all()


def test_modality_the_model_lacks_and_wrong_bands_are_refused(trained, scene: Path, tmp_path: Path) -> None:
    home = trained["home"]
    run_operation("finetune", {**inputs(scene, ("s2",)), "labels": str(scene / "labels.gpkg"),
                               "class_field": "class_name", "out_model": "s2only", "size": "tiny", "epochs": 1},
                  RecordingContext(home, "s2only"))
    with pytest.raises(InputError, match="trained without aerial"):
        run_operation("classify", {**inputs(scene), "model": "s2only", "out": str(tmp_path / "x.tif")},
                      RecordingContext(home, "x"))
    assert not (tmp_path / "x.tif").exists()
    three = tmp_path / "aerial3.tif"
    with rasterio.open(scene / "aerial.tif") as src:
        profile = {**src.profile, "count": 3}
        data = src.read([1, 2, 3])
    with rasterio.open(three, "w", **profile) as dst:
        dst.write(data)
    with pytest.raises(InputError, match="aerial.*4 bands"):
        run_operation("classify", {**inputs(scene), "aerial": str(three), "model": "clf",
                                   "out": str(tmp_path / "y.tif")}, RecordingContext(home, "y"))


def test_extent_beyond_the_limit_is_refused_before_starting(trained, scene: Path, tmp_path: Path,
                                                             monkeypatch) -> None:
    monkeypatch.setenv("OMNISAT_MAX_EXTENT_KM2", "0.05")
    ctx = RecordingContext(trained["home"], "big")
    with pytest.raises(ResourceError, match=r"the extent is 0\.16 km².*limit of 0\.05 km²"):
        run_operation("classify", {**inputs(scene), "model": "clf", "out": str(tmp_path / "big.tif")}, ctx)
    assert not any(p["stage"] == "classify" for p in ctx.progress_log)
    assert not list(tmp_path.iterdir())


def test_failed_run_never_overwrites_a_model(trained, scene: Path, tmp_path: Path) -> None:
    import pyogrio.raw as ogr_raw
    import shapely

    home = trained["home"]
    before = (home / "models" / "clf" / "weights.safetensors").read_bytes()
    one = tmp_path / "one.gpkg"
    ogr_raw.write(str(one), geometry=np.array([shapely.to_wkb(shapely.box(500010, 5799800, 500200, 5799990))],
                                              dtype=object),
                  field_data=[np.array(["Wheat"], dtype=object)], fields=["class_name"], crs="EPSG:32632",
                  geometry_type="Polygon", driver="GPKG")
    with pytest.raises(InputError, match="at least 2 classes"):
        run_operation("finetune", {**inputs(scene), "model": "pre", "labels": str(one), "class_field": "class_name",
                                   "out_model": "clf", "overwrite": True, "epochs": 1},
                      RecordingContext(home, "bad"))
    assert (home / "models" / "clf" / "weights.safetensors").read_bytes() == before
    with pytest.raises(InputError, match="exists"):
        run_operation("finetune", {**inputs(scene), "model": "pre", "labels": str(scene / "labels.gpkg"),
                                   "class_field": "class_name", "out_model": "clf", "epochs": 1},
                      RecordingContext(home, "noover"))


def test_truncated_checkpoint_is_refused_naming_the_file(trained, scene: Path, tmp_path: Path) -> None:
    import shutil

    home = trained["home"]
    shutil.copytree(home / "models" / "clf", home / "models" / "broken")
    w = home / "models" / "broken" / "weights.safetensors"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    with pytest.raises(InputError, match="weights.safetensors"):
        run_operation("classify", {**inputs(scene), "model": "broken", "out": str(tmp_path / "b.tif")},
                      RecordingContext(home, "broken"))
    assert not list(tmp_path.glob("b*"))


def test_the_runner_chooses_the_size_and_keeps_every_date_and_says_so(trained, scene: Path) -> None:
    """Defaults decide from the data: a 0.4 km² scene gets `tiny`, every date is used, and the reasons are in the
    job's log and on both model cards (the dock shows them)."""
    from runner import model_store as store

    choices = [m for k, m, _ in trained["pre_ctx"].events if k == "choice"]
    assert any(m.startswith("model size tiny:") and "tiles" in m for m in choices)
    _, pre_card = store.load_model(trained["home"], "pre")
    assert pre_card["size"] == "tiny" and pre_card["config"]["ltae_norm"] == "series"
    assert pre_card["choices"]["size"]["value"] == "tiny"
    given = {m: len(list((scene / m).glob("*.tif"))) for m in ("s1", "s2")}
    assert pre_card["choices"]["dates"]["value"] == given
    assert "all" in pre_card["choices"]["dates"]["reason"]
    _, clf_card = store.load_model(trained["home"], "clf")
    assert clf_card["choices"]["size"]["reason"].startswith("tiny: the size of the base model pre")


def test_choose_size_picks_base_only_for_enough_imagery() -> None:
    from runner.ops.recipe import BASE_MIN_TILES, choose_size

    assert choose_size("auto", BASE_MIN_TILES - 1, 7.0).value == "tiny"
    assert choose_size("auto", BASE_MIN_TILES, 7.2).value == "base"
    assert choose_size("base", 10, 0.04).value == "base"  # what the user asked for is kept
    assert "asked for" in choose_size("tiny", 10**6, 3600.0).reason


def test_a_pretraining_time_budget_ends_the_run_with_a_validated_model(trained, scene: Path) -> None:
    """`minutes` ends the running epoch early (its batches are spread over the extent), validates it and saves the
    best model, however many epochs were asked for."""
    from runner import model_store as store
    from runner.ops import run_operation

    ctx = RecordingContext(trained["home"], "budget")
    run_operation("pretrain", {**inputs(scene, ("s1", "s2")), "out_model": "budget", "epochs": 50,
                               "minutes": 0.0005}, ctx)
    assert [k for k, _, _ in ctx.events].count("budget") == 1
    _, card = store.load_model(trained["home"], "budget")
    assert len(card["history"]) == 1 and card["training"]["best_epoch"] == 1
    assert card["metrics"]["retrieval_rank"] is not None
