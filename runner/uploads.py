"""Pure helpers for files uploaded to a remote runner: safe names, where they go, which paths may be served.

A remote runner cannot read the user's disk, so the plugin uploads each input; the runner stores it under
`<home>/uploads/<random id>/<sanitised name>` and the job spec names that path. Downloads are limited to the
files finished jobs wrote, so the token cannot be used to read arbitrary server files.
"""

from __future__ import annotations

import os
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from runner.errors import InputError

MAX_NAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
PRIVATE_NAMES = frozenset({"runner.json", "jobs.sqlite", "jobs.sqlite-wal", "jobs.sqlite-shm"})


def sanitise_name(name: str) -> str:
    """A file name safe on every OS: no folders, no '..', ASCII letters/digits/._- only, extension kept.

    Raises InputError when nothing usable is left (an empty or all-punctuation name).
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    base = _UNSAFE.sub("_", base).strip("._")
    if not base or set(base) <= {"_", "-", "."}:
        raise InputError(f"upload name {name!r} has no usable characters: send a file name such as 'scene.tif'")
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:MAX_NAME]
    return base


def new_upload_dir(uploads: Path) -> tuple[str, Path]:
    """A fresh folder for one upload (random id: names cannot be guessed or collide)."""
    upload_id = secrets.token_hex(12)
    folder = Path(uploads) / upload_id
    folder.mkdir(parents=True, exist_ok=False)
    return upload_id, folder


def is_upload_id(text: str) -> bool:
    """Ids are 24 lower-case hex characters; anything else (e.g. '../x') is refused before touching the disk."""
    return len(text) == 24 and all(ch in "0123456789abcdef" for ch in text)


def partial_path(target: Path) -> Path:
    """Where bytes land while streaming; renamed to the target only when complete."""
    return target.with_name("." + target.name + ".part")


def servable(path: str, home: Path, written: Callable[[str], bool] | None = None,
             output_dirs: Iterable[Path] = ()) -> Path:
    """The resolved file if it may be downloaded, else PermissionError/FileNotFoundError naming the path.

    Allowed: a file that a finished job recorded as written (`written(resolved path)`), or a file inside a
    runner-made output folder (`output_dirs`: `<home>/outputs`, where only jobs write). Nothing else: not the
    uploads, not the runner's own files, not whatever a job spec once named. Symlinks and `..` are resolved first,
    so neither can lead out; the state file and job database are refused by name as well.
    """
    if not path or "\x00" in path:
        raise PermissionError("empty or invalid path")
    resolved = Path(os.path.realpath(os.path.expanduser(path)))
    if resolved.name in PRIVATE_NAMES or resolved.name.startswith(".state-"):
        raise PermissionError(f"{path} is private to the runner")
    dirs = [Path(os.path.realpath(d)) for d in output_dirs]
    allowed = any(resolved.is_relative_to(d) and resolved != d for d in dirs) or (
        written is not None and written(str(resolved)))
    if not allowed:
        raise PermissionError(f"{path} was not written by a finished job of this runner (policy: GET /v1/files "
                              "serves job results only)")
    if not resolved.is_file():
        raise FileNotFoundError(f"{path} does not exist or is not a file")
    return resolved
