"""Command line of the runner: the same operations as the API, without a server.

    python -m runner serve [--host 127.0.0.1] [--port 0] [--home DIR] [--allow-remote] [--read-root DIR]
                           [--write-root DIR] [--no-path-access] [--max-upload-mb MB]
    python -m runner pretrain --s2 PATH... [--s1 PATH...] [--aerial FILE] [--extent XMIN,YMIN,XMAX,YMAX
                              --extent-crs EPSG:N] --out-model NAME [--size auto|tiny|base] [--epochs N] [--device ...]
    python -m runner finetune [--base-model NAME] --labels FILE --class-field FIELD [inputs] --out-model NAME
    python -m runner classify --model NAME [inputs] --out FILE.tif
    python -m runner models [--show NAME | --delete NAME]
    python -m runner make-scene --out DIR [--size-km 2] [--seed 0]

A time-series PATH is a folder, a glob or a list of files, one raster per date. Bad invocations and bad input
exit with code 2 and one line naming the problem; never a traceback (set OMNISAT_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from runner import __version__
from runner.config import RunnerPaths, default_home
from runner.errors import Cancelled, InputError, ResourceError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one readable line, exit 2
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def _extent(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--extent {text!r}: expected XMIN,YMIN,XMAX,YMAX numbers") from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"--extent {text!r}: expected 4 numbers, got {len(values)}")
    return values


def _add_inputs(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("imagery")
    g.add_argument("--aerial", nargs="+", metavar="FILE",
                   help="aerial raster (3-5 bands: RGB, NIR, elevation), or several: natural colour, colour "
                   "infrared and elevation products and their sheets, combined")
    g.add_argument("--s2", nargs="+", default=[], metavar="PATH", help="Sentinel-2 series: folder, glob or files")
    g.add_argument("--s1", nargs="+", default=[], metavar="PATH", help="Sentinel-1 series: folder, glob or files")
    g.add_argument("--s2-masks", nargs="+", default=[], metavar="PATH",
                   help="cloud masks or SCL rasters, one per Sentinel-2 date")
    g.add_argument("--extent", type=_extent, help="XMIN,YMIN,XMAX,YMAX (default: the imagery's common extent)")
    g.add_argument("--extent-crs", help="CRS of --extent, e.g. EPSG:32631")
    g.add_argument("--patch-size", type=float, default=10.0, help="patch size in metres (default 10)")
    g.add_argument("--max-dates", type=int, help="dates per series at most, evenly thinned (default: every date)")
    g.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    g.add_argument("--batch-size", type=int,
                   help="tiles per batch (default: from free memory; on a CPU 8 with aerial, 16-32 without)")
    g.add_argument("--amp", choices=["auto", "bf16", "off"], default="auto",
                   help="mixed precision: auto = bf16 on CUDA, and for classifying with a base-size model on "
                   "CPUs with AMX or AVX512-BF16; fp32 otherwise")
    g.add_argument("--compile", action="store_true", help="torch.compile the model (pays off on long GPU jobs)")
    p.add_argument("--home", type=Path, help="runner home (default $OMNISAT_RUNNER_HOME or the user data dir)")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m runner", description="OmniSat runner: train and run OmniSat on your imagery.")
    parser.add_argument("--version", action="version", version=f"omnisat-runner {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("serve", help="serve the HTTP API for the QGIS plugin")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="0 = any free port (written to the state file)")
    s.add_argument("--home", type=Path)
    s.add_argument("--allow-remote", action="store_true",
                   help="serve others (a non-loopback --host, or behind a reverse proxy): jobs read and write only "
                   "under the runner home and the --read-root/--write-root folders")
    s.add_argument("--no-path-access", action="store_true",
                   help="read only uploaded files and write only under the home and --write-root (remote runner)")
    s.add_argument("--read-root", action="append", type=Path, default=[], metavar="DIR",
                   help="with --allow-remote: jobs may read files under DIR (repeatable)")
    s.add_argument("--write-root", action="append", type=Path, default=[], metavar="DIR",
                   help="jobs may write outputs under DIR (repeatable); a local runner also writes under the "
                   "user's home, the temporary folder and the folder it was started in")
    s.add_argument("--max-upload-mb", type=int, metavar="MB",
                   help="largest uploaded file (default 20480, or $OMNISAT_MAX_UPLOAD_BYTES)")
    s.add_argument("--token-file", type=Path,
                   help="a stable token (first line of a file readable only by you) instead of a new one per start")
    s.add_argument("--exit-with-pid", type=int, metavar="PID",
                   help="stop when process PID ends (the plugin passes its QGIS, so a crash leaves no runner)")

    p = sub.add_parser("pretrain", help="self-supervised pretraining on the imagery")
    _add_inputs(p)
    p.add_argument("--out-model", required=True)
    p.add_argument("--size", choices=["auto", "tiny", "base"], default="auto",
                   help="model size (default auto: base from 2,000 tiles of imagery, tiny below)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--minutes", type=float, help="stop after this many minutes (best epoch kept); epochs stay the most")
    p.add_argument("--ltae-norm", choices=["series", "date"], help="S2 LTAE input statistics (default series)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="replace an existing model of that name when done")

    f = sub.add_parser("finetune", help="train a classifier from labelled polygons")
    _add_inputs(f)
    f.add_argument("--base-model", "--model", dest="base_model",
                   help="pretrained model to start from (default: from scratch; --model is the older name)")
    f.add_argument("--labels", required=True, help="polygon layer (GPKG, SHP, GeoJSON) in any CRS")
    f.add_argument("--class-field", required=True)
    f.add_argument("--color-field")
    f.add_argument("--out-model", required=True)
    f.add_argument("--size", choices=["auto", "tiny", "base"], default="auto",
                   help="model size when from scratch (default auto: from the amount of imagery)")
    f.add_argument("--ltae-norm", choices=["series", "date"], help="S2 LTAE input statistics when from scratch")
    f.add_argument("--epochs", type=int, default=30)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--val-fraction", type=float, default=0.25)
    f.add_argument("--label-fraction", type=float, default=1.0)
    f.add_argument("--overwrite", action="store_true")

    c = sub.add_parser("classify", help="classify an extent into a styled class map")
    _add_inputs(c)
    c.add_argument("--model", required=True)
    c.add_argument("--out", required=True, help="output GeoTIFF (class map; *_confidence.tif and .qml beside)")
    c.add_argument("--overlap", type=int, default=2, help="overlap between tiles, in patches (blended)")

    m = sub.add_parser("models", help="list, show or delete trained models")
    m.add_argument("--home", type=Path)
    m.add_argument("--show", metavar="NAME", help="print a model card")
    m.add_argument("--delete", metavar="NAME")
    m.add_argument("--json", action="store_true")

    sc = sub.add_parser("make-scene", help="write the synthetic tri-modal demo scene")
    sc.add_argument("--out", type=Path, required=True)
    sc.add_argument("--size-km", type=float, default=2.0)
    sc.add_argument("--seed", type=int, default=0)
    sc.add_argument("--aerial-res", type=float, default=0.2, help="aerial resolution in metres (default 0.2)")
    return parser


_SPEC_KEYS = ("aerial", "s1", "s2", "s2_masks", "extent", "extent_crs", "patch_size", "max_dates", "device",
              "batch_size", "amp", "compile", "out_model", "size", "epochs", "minutes", "ltae_norm", "seed",
              "overwrite", "model", "base_model", "labels", "class_field", "color_field", "val_fraction",
              "label_fraction", "out", "overlap")


def _spec_from_args(args: argparse.Namespace) -> dict[str, Any]:
    from runner.specs import parse_spec

    spec = {k: getattr(args, k) for k in _SPEC_KEYS if getattr(args, k, None) is not None}
    if isinstance(spec.get("aerial"), list) and len(spec["aerial"]) == 1:
        spec["aerial"] = spec["aerial"][0]
    parse_spec(args.command, spec)  # field errors first (names the option), files after
    for key in ("s1", "s2", "s2_masks"):
        if key in spec:
            spec[key] = expand_cli_paths(spec[key], key)
    return spec


def expand_cli_paths(paths: list[str], key: str) -> list[str]:
    """Folders and globs → sorted raster files and Sentinel-2 products, checked now (a bad date or a missing band
    exits before a job starts) and passed on as the user's files: the job resolves them the same way."""
    from runner.geo import expand_series
    from runner.geo.forms import expand_paths

    modality = "s2" if key == "s2_masks" else key
    expand_series(paths, modality if key != "s2_masks" else "s2_mask")
    return expand_paths(paths, modality)


def _read_token(path: Path | None) -> str | None:
    """A remote service keeps its token across restarts; the file must not be readable by others."""
    if path is None:
        return os.environ.get("OMNISAT_RUNNER_TOKEN") or None
    if not path.is_file():
        raise InputError(f"--token-file {path} does not exist")
    if path.stat().st_mode & 0o077:
        raise InputError(f"--token-file {path} is readable by others: chmod 600 it")
    token = path.read_text().strip().splitlines()[0] if path.read_text().strip() else ""
    if len(token) < 24:
        raise InputError(f"--token-file {path}: the token must be at least 24 characters")
    return token


def _limits(max_upload_mb: int | None):
    from runner.config import Limits

    if max_upload_mb is None:
        return Limits()
    if max_upload_mb < 1:
        raise InputError(f"--max-upload-mb {max_upload_mb}: must be at least 1")
    return Limits(max_upload_bytes=max_upload_mb * 1024 * 1024)


def _run_job(kind: str, args: argparse.Namespace) -> int:
    from runner import distributed as dist
    from runner.jobs.context import ConsoleContext
    from runner.ops import run_operation

    d = dist.info()  # under torchrun: joins the process group (a single process: rank 0 of 1)
    paths = RunnerPaths(args.home or default_home()).ensure()
    spec = _spec_from_args(args)
    job_id = dist.job_id()  # one job folder for all ranks (checkpoints, classify shards)
    # rank 0 reports progress and prints the result; the other ranks only speak when they fail
    ctx = ConsoleContext(job_id, paths.home, paths.job_dir(job_id), quiet=args.quiet or not d.is_main)
    try:
        result = run_operation(kind, spec, ctx)
    finally:
        dist.shutdown()
    if d.is_main:
        print(json.dumps(result, indent=2))
    return 0


def _models(args: argparse.Namespace) -> int:
    from runner import model_store as store

    home = RunnerPaths(args.home or default_home()).ensure().home
    if args.delete:
        store.delete_model(home, args.delete)
        print(f"deleted model {args.delete}")
        return 0
    if args.show:
        print(json.dumps(store.get_card(home, args.show), indent=2))
        return 0
    models = store.list_models(home)
    if args.json:
        print(json.dumps(models, indent=2))
    elif not models:
        print(f"no models in {home / 'models'}")
    for m in models if not args.json else []:
        classes = ", ".join(c["name"] for c in m.get("classes") or []) or "-"
        print(f"{m['name']:<28} {m.get('kind', '?'):<11} {m.get('size', '?'):<5} "
              f"{'+'.join(m.get('modalities', []))}  classes: {classes}")
    return 0


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(raw)
    if args.command in ("serve", "pretrain", "finetune", "classify") and argv is None:
        from runner.allocator import reexec_with_jemalloc

        # also under torchrun: execve keeps the pid torchrun watches and its RANK/WORLD_SIZE environment
        reexec_with_jemalloc(raw)
    try:
        if args.command == "serve":
            from runner.server import serve

            return serve(args.home or default_home(), args.host, args.port, args.allow_remote,
                         path_access=not args.no_path_access, token=_read_token(args.token_file),
                         exit_with_pid=args.exit_with_pid, read_roots=args.read_root, write_roots=args.write_root,
                         limits=_limits(args.max_upload_mb))
        if args.command in ("pretrain", "finetune", "classify"):
            return _run_job(args.command, args)
        if args.command == "models":
            return _models(args)
        if args.command == "make-scene":
            from runner.geo.scene import make_scene

            files = make_scene(args.out, size_km=args.size_km, seed=args.seed, aerial_res=args.aerial_res)
            print(json.dumps({k: str(v) if not isinstance(v, list) else [str(x) for x in v]
                              for k, v in dict(files).items()}, indent=2))
            return 0
    except (InputError, ResourceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (Cancelled, KeyboardInterrupt):
        print("cancelled", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get("OMNISAT_DEBUG"):
            raise
        print(f"internal error: {type(err).__name__}: {err} (set OMNISAT_DEBUG=1 for details)", file=sys.stderr)
        return 1
    return 2
