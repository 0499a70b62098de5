"""Wheels for the GPU check on a server that has only PyTorch and no network (issue 22).

    python -m tools.gpu_wheels download [--dest bench/gpu-wheels] [--python-version 3.12]   # where there is network
    python -m tools.gpu_wheels install  [--wheels bench/gpu-wheels]                          # on the GPU server
    python -m tools.gpu_wheels list

`download` fetches binary wheels for the server's Python and platform (`pip download --only-binary=:all:`), not
this machine's, with their dependencies, and writes the requirement list beside them; copy the folder with the
repository. `install` installs them offline into `<wheels>/site` (`pip install --no-index --target`), which
`make gpu-check` then puts on the import path of the check and of every process it starts. PyTorch itself is
never downloaded: the server's own CUDA build is the thing under test.

What is listed is what the check imports and `python -m runner classify` needs, nothing more: the API server
(fastapi, uvicorn), scikit-learn and pyogrio (label polygons: the check classifies, it does not read labels) stay
out. rasterio is held below 1.4.4, from which its wheels bundle a GDAL half again as large (1.4.3: 22 MB;
1.4.4: 36 MB; 1.5: 39 MB), which alone would break the 60 MB budget.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess  # nosec B404 - pip with our own arguments
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO / "bench" / "gpu-wheels"
LIMIT_MB = 60
REQUIREMENTS = [
    "numpy>=1.24",            # a pip-installed torch does not depend on numpy
    "rasterio>=1.3.9,<1.4.4",  # rasters (its GDAL inside; affine, attrs, click, cligj, certifi come along)
    "pyproj>=3.6",
    "shapely>=2.0,<2.2",
    "safetensors>=0.4",       # the model store and checkpoints
    "pydantic>=2.5",          # job specs
    "platformdirs>=3",        # the runner's home
    "psutil>=5.9",            # free RAM for CPU batch sizes and the reader's block cache
]
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.glob("*.whl")) / 2**20


def download(dest: Path, python_version: str, platforms: tuple[str, ...] = PLATFORMS) -> float:
    """pip download the wheels for CPython `python_version` on `platforms` into `dest`; returns their size (MB)."""
    dest.mkdir(parents=True, exist_ok=True)
    abi = "cp" + python_version.replace(".", "")
    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--python-version", python_version,
           "--implementation", "cp", "--abi", abi, "--abi", "abi3", "--abi", "none", "-d", str(dest)]
    for p in platforms:
        cmd += ["--platform", p]
    subprocess.run([*cmd, *REQUIREMENTS], check=True)  # nosec B603 - pip, with our own arguments
    (dest / "requirements.txt").write_text("\n".join(REQUIREMENTS) + "\n")
    return folder_mb(dest)


def install(wheels: Path, target: Path | None = None) -> Path:
    """pip install the folder's requirements offline into `target` (default `<wheels>/site`); skipped when that
    exact set is already installed there. Returns the target."""
    target = target or wheels / "site"
    reqs = wheels / "requirements.txt"
    if not reqs.is_file():
        raise SystemExit(f"{reqs} does not exist: run `python -m tools.gpu_wheels download` first")
    digest = hashlib.sha256(reqs.read_bytes() + "".join(sorted(p.name for p in wheels.glob("*.whl"))).encode())
    marker = target / ".installed"
    if marker.is_file() and marker.read_text() == digest.hexdigest():
        return target
    cmd = [sys.executable, "-m", "pip", "install", "--no-index", "--find-links", str(wheels), "--target",
           str(target), "--upgrade", "-r", str(reqs)]
    subprocess.run(cmd, check=True)  # nosec B603 - pip, offline, with our own arguments
    marker.write_text(digest.hexdigest())
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.gpu_wheels", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("download", help="fetch the wheels (needs network)")
    d.add_argument("--dest", type=Path, default=DEFAULT_DIR)
    d.add_argument("--python-version", default="3.12", help="the GPU server's Python (default 3.12)")
    i = sub.add_parser("install", help="install them offline into <wheels>/site")
    i.add_argument("--wheels", type=Path, default=DEFAULT_DIR)
    i.add_argument("--target", type=Path)
    sub.add_parser("list", help="print the requirements")
    args = ap.parse_args(argv)
    if args.command == "list":
        print("\n".join(REQUIREMENTS))
        return 0
    if args.command == "download":
        mb = download(args.dest, args.python_version)
        print(f"{mb:.1f} MB of wheels in {args.dest} (limit {LIMIT_MB} MB)")
        return 0 if mb <= LIMIT_MB else 1
    print(f"installed into {install(args.wheels, args.target)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
