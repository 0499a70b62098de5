"""Where the readers' virtual rasters live: a private folder, one file per content, written atomically.

Its own module so that both the VRT builder (runner/geo/vrt.py) and the remote COG cache
(runner/geo/remote_cache.py), which rewrites VRTs to point at cached chunks, write them the same way without
importing each other.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path


def vrt_dir() -> Path:
    """The private folder the VRTs live in (OMNISAT_VRT_DIR overrides it)."""
    folder = Path(os.environ.get("OMNISAT_VRT_DIR") or Path(tempfile.gettempdir()) / f"omnisat-vrt-{os.getuid()}")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def write_vrt(xml: str, name: str) -> str:
    """Write `xml` under a name made of `name` (readable in messages) and the content's hash; atomic."""
    digest = hashlib.sha256(xml.encode()).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)[:120]
    path = vrt_dir() / f"{safe}.{digest}.vrt"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(xml)
        os.replace(tmp, path)
    return str(path)
