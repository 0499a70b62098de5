"""Geodata fixtures: a small synthetic scene written once per session, and real samples when ../shared is there."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EODATA = REPO.parent / "shared" / "eodata"


@pytest.fixture(scope="session")
def small_scene(tmp_path_factory) -> Path:
    from runner.geo.scene import make_scene

    out = tmp_path_factory.mktemp("scene") / "scene"
    make_scene(out, size_km=0.3, seed=0, aerial_res=0.5)
    return out


@pytest.fixture
def eodata() -> Path:
    if not (EODATA / "worldcereal_patch").is_dir() or not (EODATA / "treesatai_tile").is_dir():
        pytest.skip(f"real samples not found at {EODATA} (../shared/eodata is absent on this machine)")
    return EODATA
