"""Accuracy on real imagery as a user gets it (`make bench-accuracy`): OmniSat with the runner's defaults against
the per-pixel Random Forest that SCP, dzetsaka and EnMAP-Box offer, on the same polygons.

Every OmniSat run goes through the operations a user's job runs (`run_pretrain`, `run_finetune`,
`run_classify` with specs holding only the imagery, the labels and the output: no tuning flags), so what is
measured is the defaults. For each real labelled dataset in `../shared/eodata`:

- spatially disjoint halves: polygons are clipped to the training half; the map is scored on the other half
  (folds alternate west/east with the seed);
- two label budgets: `half` (every polygon of the training half) and `few` (at most 3 polygons per class, drawn
  at random, as an analyst in a hurry would);
- every modality subset a user may have (S1 + S2, S2 only, S1 only);
- methods: `omnisat` (pretrained on the whole area's imagery, then fine-tuned: the workflow the dock offers),
  `omnisat_scratch` (fine-tuned without pretraining) and `random_forest` (300 trees, class-balanced, every date
  of every band of the subset per pixel, trained on the same polygons' pixels);
- macro F1, overall accuracy and per-class F1 on the test half, the fine-tune's own validation macro F1 (what
  the dock reports) and training seconds per km²; mean and spread over seeds.

`BENCH_OVERRIDES` (JSON) adds fields to every pretrain and finetune spec (`BENCH_FINETUNE_OVERRIDES` to the
finetune specs only), to measure one change at a time against the defaults; `BENCH_SEEDS`, `BENCH_SUBSETS`,
`BENCH_BUDGETS` narrow a run. Writes bench/accuracy.json and docs/benchmarks.md for a run with the defaults and
every part, else bench/out/accuracy-partial.json.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
EODATA = Path(os.environ.get("OMNISAT_EODATA", REPO.parent / "shared" / "eodata"))
SEEDS = tuple(int(s) for s in os.environ.get("BENCH_SEEDS", "0,1,2").split(","))
SUBSETS = tuple(os.environ.get("BENCH_SUBSETS", "s1+s2,s2,s1").split(","))
BUDGETS = tuple(os.environ.get("BENCH_BUDGETS", "half,few").split(","))
OVERRIDES: dict[str, Any] = json.loads(os.environ.get("BENCH_OVERRIDES", "{}"))
FINETUNE_OVERRIDES: dict[str, Any] = json.loads(os.environ.get("BENCH_FINETUNE_OVERRIDES", "{}"))
FEW_POLYGONS = 3
RF_TREES = 300


def scores(truth: list[str], pred: list[str], names: list[str]) -> dict[str, Any]:
    """OA, macro F1 over the classes present in the truth, per-class F1."""
    index = {n: i for i, n in enumerate(names)}
    k = len(names)
    conf = np.zeros((k, k + 1), dtype=np.int64)  # last column: no class or one the truth does not know
    np.add.at(conf, ([index[t] for t in truth], [index.get(p, k) if p is not None else k for p in pred]), 1)
    f1: dict[str, float | None] = {}
    for i, n in enumerate(names):
        tp, fn, fp = conf[i, i], conf[i].sum() - conf[i, i], conf[:, i].sum() - conf[i, i]
        f1[n] = None if conf[i].sum() == 0 else round(float(2 * tp / max(2 * tp + fn + fp, 1)), 4)
    present = [v for v in f1.values() if v is not None]
    return {"overall_accuracy": round(float(np.trace(conf) / max(conf.sum(), 1)), 4),
            "macro_f1": round(float(np.mean(present)), 4) if present else 0.0, "per_class_f1": f1,
            "test_pixels": int(conf.sum())}


# -- the dataset ---------------------------------------------------------------------------------------------

class Dataset:
    """A real labelled scene: imagery folders per modality, polygons with a class field, halves for folds."""

    def __init__(self, name: str, root: Path, imagery: dict[str, list[str]], masks: list[str], labels: Path,
                 class_field: str, description: str, extent: tuple[float, float, float, float]) -> None:
        self.name, self.root, self.imagery, self.masks, self.extent = name, root, imagery, masks, extent
        self.labels, self.class_field, self.description = labels, class_field, description
        import pyogrio.raw

        meta, _, geoms, fields = pyogrio.raw.read(str(labels))
        self.crs, self.meta = meta["crs"], meta
        names = list(meta["fields"])
        self.classes = [str(c) for c in fields[names.index(class_field)]]
        from shapely import from_wkb

        self.polygons = list(from_wkb(geoms))
        self.names = sorted(set(self.classes))

    def half(self, fold: int, train: bool) -> Any:
        """West half (fold 0 trains there) or east half, as a shapely box over the imagery's extent."""
        from shapely.geometry import box

        xmin, ymin, xmax, ymax = self.extent
        mid = (xmin + xmax) / 2
        west = box(xmin, ymin, mid, ymax)
        east = box(mid, ymin, xmax, ymax)
        return (west if fold == 0 else east) if train else (east if fold == 0 else west)

    def write_training_polygons(self, path: Path, fold: int, budget: str, seed: int) -> int:
        """The training half's polygons (clipped) for a budget; returns how many were written."""
        import pyogrio.raw
        from shapely import to_wkb

        area = self.half(fold, train=True)
        clipped = [(p.intersection(area), c) for p, c in zip(self.polygons, self.classes, strict=True)]
        clipped = [(g, c) for g, c in clipped if not g.is_empty and g.area > 0]
        if budget == "few":
            rng = random.Random(seed)  # nosec B311 - sampling polygons for a benchmark
            picked = []
            for name in self.names:
                of_class = [gc for gc in clipped if gc[1] == name]
                picked += rng.sample(of_class, min(FEW_POLYGONS, len(of_class)))
            clipped = picked
        geoms = np.array([to_wkb(g.buffer(0) if g.geom_type == "GeometryCollection" else g) for g, _ in clipped],
                         dtype=object)
        field = np.array([c for _, c in clipped], dtype=object)
        pyogrio.raw.write(str(path), geoms, [field], [self.class_field], driver="GPKG", crs=self.crs,
                          geometry_type="Unknown", promote_to_multi=True)
        return len(clipped)

    def truth(self, transform: Any, shape: tuple[int, int], fold: int) -> np.ndarray:
        """(H, W) class index (−1 = unlabelled or in the training half) on a raster's grid."""
        from rasterio.features import rasterize

        shapes = [(p.intersection(self.half(fold, train=False)), self.names.index(c) + 1)
                  for p, c in zip(self.polygons, self.classes, strict=True)]
        shapes = [(g, v) for g, v in shapes if not g.is_empty]
        return rasterize(shapes, out_shape=shape, transform=transform, fill=0, dtype="int32").astype(np.int64) - 1


def worldcereal() -> Dataset | None:
    root = EODATA / "worldcereal_patch"
    if not root.is_dir():
        return None
    ds = Dataset("worldcereal", root, {"s2": [str(root / "s2")], "s1": [str(root / "s1")]},
                 [str(root / "s2_scl")], root / "labels.gpkg", "class_name",
                 "WorldCereal patch 00002806639B424A (Flanders, crop types), 640 m × 640 m, S2 118 dates with "
                 "SCL, S1 ascending 159 dates", (501360.0, 5629040.0, 502000.0, 5629680.0))
    return ds


# -- methods --------------------------------------------------------------------------------------------------

def _imagery(ds: Dataset, subset: list[str]) -> dict[str, Any]:
    spec: dict[str, Any] = {m: ds.imagery[m] for m in subset}
    if "s2" in subset and ds.masks:
        spec["s2_masks"] = ds.masks
    return spec


def _ctx(home: Path, name: str) -> Any:
    from runner.jobs.context import ConsoleContext

    return ConsoleContext(name, home, home / "jobs" / name, quiet=True)


def _omnisat_map(ds: Dataset, home: Path, subset: list[str], labels: Path, model: str | None, out: Path,
                 seed: int) -> tuple[dict[str, Any], float]:
    """Fine-tune (from `model` or from scratch) and classify the whole extent; returns the card and seconds."""
    from runner import model_store as store
    from runner.ops.classify import run_classify
    from runner.ops.finetune import run_finetune
    from runner.specs import parse_spec

    name = f"{out.stem}-model"
    spec = {**_imagery(ds, subset), "labels": str(labels), "class_field": ds.class_field, "out_model": name,
            "seed": seed, **OVERRIDES, **FINETUNE_OVERRIDES}
    if model:
        spec["model"] = model
        spec.pop("size", None)
    t0 = time.time()
    run_finetune(parse_spec("finetune", spec), _ctx(home, name))
    seconds = time.time() - t0
    run_classify(parse_spec("classify", {**_imagery(ds, subset), "model": name, "out": str(out)}),
                 _ctx(home, f"{name}-classify"))
    return store.load_model(home, name)[1], seconds


def _score_map(ds: Dataset, out: Path, card: dict[str, Any], fold: int) -> dict[str, Any]:
    import rasterio

    with rasterio.open(out) as src:
        values = src.read(1)
        truth = ds.truth(src.transform, values.shape, fold)
    by_value = {c["value"]: c["name"] for c in card["classes"]}
    keep = truth >= 0
    return scores([ds.names[i] for i in truth[keep]], [by_value.get(int(v)) for v in values[keep]], ds.names)


def _random_forest(ds: Dataset, home: Path, subset: list[str], labels: Path, fold: int, seed: int
                   ) -> dict[str, Any]:
    """Per-pixel RF on every date of every band of the subset (raw series, clouds included, as SCP users do)."""
    from rasterio.transform import from_origin
    from sklearn.ensemble import RandomForestClassifier

    from runner.geo import expand_series, open_scene, rasterise_labels

    series = {m: expand_series(ds.imagery[m], m) for m in subset}
    scene = open_scene(None, series.get("s1", []), series.get("s2", []), tile_patches=8, aerial_px=10,
                       max_dates=366, extent=ds.extent, extent_crs=ds.crs)
    scene.norm = scene.compute_norm()
    g = scene.grid
    h, w = g.n_rows, g.n_cols
    features = []
    tiles = scene.tiles()
    p = g.tile_patches
    for m in subset:
        full = None
        for batch in scene.iter_batches(tiles, 16):
            x = batch[m]                                                     # (B, T, C, P, P)
            if full is None:
                full = np.zeros((x.shape[1] * x.shape[2], h, w), dtype=np.float32)
            for tile, arr in zip(batch["tiles"], x, strict=True):
                rows = slice(tile.row, min(tile.row + p, h))
                cols = slice(tile.col, min(tile.col + p, w))
                full[:, rows, cols] = arr.reshape(-1, p, p)[:, :rows.stop - rows.start, :cols.stop - cols.start]
        features.append(np.nan_to_num(full, nan=0.0))
    x = np.concatenate(features).reshape(-1, h * w).T
    train_map = rasterise_labels(str(labels), ds.class_field, g)
    names = [c.name for c in train_map.classes]
    y = np.asarray(train_map.labels).reshape(-1)
    rf = RandomForestClassifier(n_estimators=RF_TREES, n_jobs=-1, random_state=seed, class_weight="balanced")
    rf.fit(x[y >= 0], y[y >= 0])
    pred = rf.predict(x).reshape(h, w)
    truth = ds.truth(from_origin(g.xmin, g.ymax, g.patch_size, g.patch_size), (h, w), fold)
    keep = truth >= 0
    return scores([ds.names[i] for i in truth[keep]], [names[int(v)] for v in pred[keep]], ds.names)


# -- the harness ----------------------------------------------------------------------------------------------

def evaluate(ds: Dataset, log: Any = print) -> dict[str, Any]:
    from runner.ops.pretrain import run_pretrain
    from runner.specs import parse_spec

    area_km2 = (ds.extent[2] - ds.extent[0]) * (ds.extent[3] - ds.extent[1]) / 1e6
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for subset_name in SUBSETS:
            subset = subset_name.split("+")
            tag = subset_name.replace("+", "_")  # model names take letters, digits, '.', '_', '-'
            for seed in SEEDS:
                fold = seed % 2
                pre = f"pre-{tag}-{seed}"
                t0 = time.time()
                run_pretrain(parse_spec("pretrain", {**_imagery(ds, subset), "out_model": pre, "seed": seed,
                                                     **OVERRIDES}), _ctx(home, pre))
                pretrain_s = time.time() - t0
                for budget in BUDGETS:
                    labels = home / f"labels-{budget}-{fold}-{seed}.gpkg"
                    polygons = ds.write_training_polygons(labels, fold, budget, seed)
                    common = {"dataset": ds.name, "modalities": subset_name, "budget": budget, "seed": seed,
                              "fold": fold, "polygons": polygons}
                    for method, parent in (("omnisat", pre), ("omnisat_scratch", None)):
                        out = home / f"{method}-{tag}-{budget}-{seed}.tif"
                        card, seconds = _omnisat_map(ds, home, subset, labels, parent, out, seed)
                        train_s = seconds + (pretrain_s if parent else 0.0)
                        run = {**common, "method": method, **_score_map(ds, out, card, fold),
                               "val_macro_f1": round(float(card["metrics"].get("macro_f1", float("nan"))), 4),
                               "size": card["size"], "choices": card.get("choices", {}),
                               "train_s_per_km2": round(train_s / area_km2, 1)}
                        runs.append(run)
                        log(json.dumps({k: v for k, v in run.items() if k not in ("per_class_f1", "choices")}))
                    t0 = time.time()
                    run = {**common, "method": "random_forest", **_random_forest(ds, home, subset, labels, fold,
                                                                                  seed),
                           "train_s_per_km2": round((time.time() - t0) / area_km2, 1)}
                    runs.append(run)
                    log(json.dumps({k: v for k, v in run.items() if k != "per_class_f1"}))
    return {"dataset": ds.description, "classes": ds.names, "area_km2": round(area_km2, 4), "runs": runs}


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple, list] = {}
    for r in runs:
        groups.setdefault((r["dataset"], r["modalities"], r["budget"], r["method"]), []).append(r)
    out = []
    for (dataset, mods, budget, method), rs in sorted(groups.items()):
        f1 = [r["macro_f1"] for r in rs]
        oa = [r["overall_accuracy"] for r in rs]
        row = {"dataset": dataset, "modalities": mods, "budget": budget, "method": method,
               "macro_f1": round(float(np.mean(f1)), 4), "macro_f1_sd": round(float(np.std(f1)), 4),
               "overall_accuracy": round(float(np.mean(oa)), 4), "overall_accuracy_sd": round(float(np.std(oa)), 4),
               "seeds": len(rs), "train_s_per_km2": round(float(np.mean([r["train_s_per_km2"] for r in rs])), 1)}
        val = [r["val_macro_f1"] for r in rs if "val_macro_f1" in r and np.isfinite(r["val_macro_f1"])]
        if val:
            row["val_macro_f1"] = round(float(np.mean(val)), 4)
        out.append(row)
    return out


def run() -> dict[str, Any]:
    datasets = [d for d in (worldcereal(),) if d is not None]
    if not datasets:
        return {"skipped": f"{EODATA} not found: the accuracy benchmark needs ../shared/eodata"}
    overrides = {**OVERRIDES, **{f"finetune.{k}": v for k, v in FINETUNE_OVERRIDES.items()}}
    result: dict[str, Any] = {"overrides": overrides,
                              "seeds": list(SEEDS), "subsets": list(SUBSETS),
                              "budgets": list(BUDGETS), "datasets": {}}
    for ds in datasets:
        result["datasets"][ds.name] = evaluate(ds)
    result["summary"] = summarise([r for d in result["datasets"].values() for r in d["runs"]])
    complete = (not overrides and len(SEEDS) >= 3 and set(SUBSETS) == {"s1+s2", "s2", "s1"}
                and len(BUDGETS) == 2)
    target = REPO / "bench" / "accuracy.json" if complete else REPO / "bench" / "out" / "accuracy-partial.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2))
    if complete:
        write_markdown(result, REPO / "docs" / "benchmarks.md")
    return {"accuracy_json": str(target.relative_to(REPO)), "summary": result["summary"]}


def write_markdown(result: dict[str, Any], path: Path) -> None:
    lines = ["# Benchmarks", "", "## Accuracy on real imagery (`make bench-accuracy`)", "",
             "OmniSat with the runner's defaults (pretrain → fine-tune → classify, as the dock runs them, no flags) "
             "against a per-pixel Random Forest (300 trees, class-balanced, every date of every band) trained on the "
             "same polygons. Polygons of one half of the scene train; the other half scores (folds alternate with "
             f"the seed). Budgets: `half` = every polygon of the training half, `few` = at most {FEW_POLYGONS} "
             "polygons per class. Mean ± standard deviation over seeds; `val F1` is the fine-tune's own validation "
             "macro F1 (what the model card and the dock report), to set beside the test figure.", "",
             f"This run: modality subsets {', '.join(result.get('subsets', SUBSETS))}; budgets "
             f"{', '.join(result.get('budgets', BUDGETS))}; seeds {', '.join(map(str, result['seeds']))}; "
             f"spec overrides {json.dumps(result['overrides']) if result['overrides'] else 'none (the defaults)'}."
             + (f" {result['note']}." if result.get("note") else ""), ""]
    for name, ds in result["datasets"].items():
        lines += [f"### {ds['dataset']}", "", f"Classes: {', '.join(ds['classes'])}.", "",
                  "| modalities | budget | method | macro F1 | overall accuracy | val F1 | train s/km² |",
                  "|---|---|---|---|---|---|---|"]
        for s in result["summary"]:
            if s["dataset"] != name:
                continue
            val = f"{s['val_macro_f1']:.3f}" if "val_macro_f1" in s else ""
            lines.append(f"| {s['modalities']} | {s['budget']} | {s['method']} | {s['macro_f1']:.3f} ± "
                         f"{s['macro_f1_sd']:.3f} | {s['overall_accuracy']:.3f} ± {s['overall_accuracy_sd']:.3f} "
                         f"| {val} | {s['train_s_per_km2']:.0f} |")
        lines.append("")
    lines += ["Per-class F1, the model sizes and choices the runner made, and every run: `bench/accuracy.json`.", "",
              "### Limits of what was measured", "",
              "- One 640 m × 640 m crop patch is the only real labelled S1/S2 scene available here: its test halves "
              "hold ~2,000 labelled pixels; Cabages (31) and Potatoes (25) barely appear, so macro F1 swings with "
              "one field. No labelled S1/S2 time series ships inside a PyPI package that we found.",
              "- Pretraining used only the scene's own imagery (OmniSat's protocol); no weights were downloaded.",
              "- The Random Forest is the classical baseline analysts run (SCP, dzetsaka, EnMAP-Box), not a tuned "
              "state of the art.", ""]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
