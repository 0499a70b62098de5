"""Which files a job may read and write: fixed by the operator when the runner starts, never by a job spec.

Two modes, one policy object:

- **local** (the plugin's runner, `python -m runner serve`): it serves the user who started it, so a job may read
  whatever that user can; it writes only under the write roots: the runner home's `outputs/`, the user's home, the
  temporary folder, the folder the runner was started in, and every `--write-root` (the plugin adds its output
  folder).
- **remote** (`--allow-remote` or `--no-path-access`): the token may be held by people who have no account on the
  machine, so a job reads only uploads, runner-made output folders and the operator's `--read-root`/`--write-root`
  folders, and writes only under `<home>/outputs/` and the `--write-root` folders. Paths must be plain absolute file
  paths (no GDAL `/vsi…` or `DRIVER:` names, which reach the network or other files) and inputs must not be XML
  datasets (a VRT names other files by itself).

Every path is resolved (symlinks, `..`) before it is compared, so a link or a `..` segment cannot leave a root.
A refusal is `AccessDenied`, answered 403 with the policy named.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

READ_FIELDS = ("aerial", "labels")
SERIES_FIELDS = ("s1", "s2", "s2_masks")
WRITE_FIELDS = ("out",)
_GDAL_SPECIAL = re.compile(r"^(/vsi[a-z0-9_]*/|[A-Za-z][A-Za-z0-9_]+:)")  # /vsicurl/…, PG:…, HDF5:… (not C:\)
_GLOB = re.compile(r"[*?\[]")
MAX_EXPANDED = 5000  # entries of one folder or glob checked before refusing


class AccessDenied(Exception):
    """A spec path outside what this runner's operator allows; the message names the field, path and policy."""


def _real(path: Path | str) -> Path:
    """The path with every symlink and `..` resolved (the file need not exist)."""
    return Path(os.path.realpath(os.fspath(path)))


def _under(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


@dataclass(frozen=True)
class AccessPolicy:
    """Read and write roots of one runner. `read_roots` None = whatever the runner's user can read (local mode)."""

    mode: str                                   # "local" | "remote"
    home: Path
    read_roots: tuple[Path, ...] | None
    write_roots: tuple[Path, ...]
    path_access: bool = True                    # False: the plugin must upload its inputs (GET /v1/health)

    @classmethod
    def local(cls, home: Path, write_roots: Iterable[Path | str] = (), cwd: Path | None = None) -> AccessPolicy:
        """The plugin's runner: reads what its user can, writes under its home, the user's home, the temporary
        folder, the folder it was started in and the operator's extra roots."""
        home = _real(home)
        defaults = [Path.home(), Path(tempfile.gettempdir()), cwd if cwd is not None else Path.cwd()]
        # a service started in `/` (or a user whose home is `/`) must not make the whole disk a root
        defaults = [d for d in defaults if _real(d).parent != _real(d)]
        roots = [home / "outputs", *defaults, *(Path(r).expanduser() for r in write_roots)]
        return cls("local", home, None, _dedupe(roots), True)

    @classmethod
    def remote(cls, home: Path, read_roots: Iterable[Path | str] = (), write_roots: Iterable[Path | str] = (),
               uploads_only: bool = False) -> AccessPolicy:
        """A runner others reach: reads uploads, runner-made output folders and the operator's roots only."""
        home = _real(home)
        extra_write = [Path(r).expanduser() for r in write_roots]
        extra_read = [Path(r).expanduser() for r in read_roots]
        reads = [home / "uploads", home / "outputs", *([] if uploads_only else [*extra_write, *extra_read])]
        return cls("remote", home, _dedupe(reads), _dedupe([home / "outputs", *extra_write]),
                   path_access=not uploads_only and bool(extra_read or extra_write))

    # -- checks -------------------------------------------------------------------------------------
    def check_spec(self, spec: dict[str, Any]) -> None:
        """Refuse (AccessDenied) the first path of a validated spec that this runner may not read or write."""
        for key in READ_FIELDS:
            value = spec.get(key)
            if isinstance(value, list):  # an aerial input may be several products (runner/geo/aerial_parts.py)
                for i, p in enumerate(value):
                    self.check_read(f"spec.{key}[{i}]", p)
            elif value:
                self.check_read(f"spec.{key}", value)
        for key in SERIES_FIELDS:
            for i, p in enumerate(spec.get(key) or []):
                self.check_read(f"spec.{key}[{i}]", p, expand=True)
        for key in WRITE_FIELDS:
            if spec.get(key):
                self.check_write(f"spec.{key}", spec[key])

    def admit(self, kind: str, spec: dict[str, Any]) -> str | None:
        """For the worker, just before a job runs: the refusal as a message, or None (selftests have no paths)."""
        if kind == "selftest":
            return None
        try:
            self.check_spec(spec)
        except AccessDenied as err:
            return f"refused by this runner's roots: {err}"
        return None

    def check_read(self, field: str, path: str, expand: bool = False) -> None:
        if self.read_roots is None:  # local: the user's own runner reads what the user can
            return
        self._plain(field, path)
        targets = list(self._expanded(field, path)) if expand else [Path(path)]
        for target in [Path(path), *targets]:
            real = _real(target)
            if not _under(real, self.read_roots):
                raise AccessDenied(f"{field}: {path} is not an upload and not under a read root of this runner "
                                   f"({self._read_policy()})")
            if real.is_file() and _is_xml(real):
                raise AccessDenied(f"{field}: {path} is a VRT or other XML dataset, which may name files outside "
                                   "the roots; a remote runner reads GeoTIFF, GeoPackage or Shapefile inputs only")

    def check_write(self, field: str, path: str) -> None:
        self._plain(field, path)
        real = _real(path)
        if not _under(real, self.write_roots):
            raise AccessDenied(f"{field}: {path} is outside the folders this runner writes to ({self._write_policy()})")

    def _plain(self, field: str, path: str) -> None:
        if "\x00" in path:
            raise AccessDenied(f"{field}: the path holds a NUL character")
        if _GDAL_SPECIAL.match(path):
            raise AccessDenied(f"{field}: {path[:200]} is a GDAL virtual or driver path; this runner "
                               "accepts plain file paths only")
        if self.mode == "remote" and not Path(path).is_absolute():
            raise AccessDenied(f"{field}: {path[:200]} is not an absolute path; a remote runner needs absolute paths")

    def _expanded(self, field: str, path: str) -> Iterator[Path]:
        """The files a folder or glob in a series stands for: each is checked too (a link inside may point out)."""
        if os.path.isdir(path):
            entries: Iterable[str] = (e.path for e in os.scandir(path))
        elif _GLOB.search(path):
            entries = glob.iglob(path)
        else:
            return
        for n, entry in enumerate(entries):
            if n >= MAX_EXPANDED:
                raise AccessDenied(f"{field}: {path} stands for more than {MAX_EXPANDED} files")
            yield Path(entry)

    # -- description --------------------------------------------------------------------------------
    def _read_policy(self) -> str:
        roots = ", ".join(str(r) for r in self.read_roots or ())
        return f"policy: a remote runner reads only uploads and files under {roots}"

    def _write_policy(self) -> str:
        roots = ", ".join(str(r) for r in self.write_roots)
        return f"policy: {self.mode} runner, outputs only under {roots}"

    def describe(self) -> dict[str, Any]:
        """For GET /v1/health: what a client may send (paths only the token holder sees anyway)."""
        return {"mode": self.mode,
                "read_roots": None if self.read_roots is None else [str(r) for r in self.read_roots],
                "write_roots": [str(r) for r in self.write_roots]}


def _dedupe(paths: Iterable[Path]) -> tuple[Path, ...]:
    out: list[Path] = []
    for p in paths:
        real = _real(p)
        if real not in out:
            out.append(real)
    return tuple(out)


def _is_xml(path: Path) -> bool:
    """A dataset GDAL/OGR would open as XML (VRT, OGR VRT, GML…): it can name other files."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
