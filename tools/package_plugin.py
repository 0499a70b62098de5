"""Build the plugin zip for the QGIS plugin repository (`make package`) or install it into a QGIS profile.

The zip holds one top folder, `omnisat_qgis/`, with the plugin package (metadata.txt lives inside it, so a
development checkout's `omnisat_qgis/` linked into a profile's plugins folder is a complete plugin too), the
compiled translations and LICENSE; no caches, no translation sources.
`--install` copies that folder into the default profile's plugins directory (or `--profile-dir`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGIN = "omnisat_qgis"
EXCLUDE_DIRS = {"__pycache__", ".pytest_cache"}
EXCLUDE_SUFFIXES = {".pyc", ".pyo", ".ts"}


def plugin_files() -> list[tuple[Path, str]]:
    files = []
    for path in sorted((REPO / PLUGIN).rglob("*")):
        if path.is_dir() or EXCLUDE_DIRS & set(path.parts) or path.suffix in EXCLUDE_SUFFIXES:
            continue
        files.append((path, f"{PLUGIN}/{path.relative_to(REPO / PLUGIN).as_posix()}"))
    files.append((REPO / "LICENSE", f"{PLUGIN}/LICENSE"))
    return files


def build_zip(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{PLUGIN}.zip"
    tmp = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for src, arc in plugin_files():
            zf.write(src, arc)
    os.replace(tmp, target)
    return target


def default_profile_plugins() -> Path:
    base = os.environ.get("QGIS_CUSTOM_CONFIG_PATH") or str(Path.home() / ".local" / "share" / "QGIS" / "QGIS3")
    return Path(base) / "profiles" / "default" / "python" / "plugins"


def install(plugins_dir: Path) -> Path:
    dest = plugins_dir / PLUGIN
    if dest.exists():
        shutil.rmtree(dest)
    for src, arc in plugin_files():
        target = plugins_dir / arc
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=REPO / "dist")
    p.add_argument("--install", action="store_true")
    p.add_argument("--profile-dir", type=Path, help="a QGIS profile's python/plugins folder")
    args = p.parse_args()
    if args.install:
        print(f"installed into {install(args.profile_dir or default_profile_plugins())}")
    else:
        print(f"wrote {build_zip(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
