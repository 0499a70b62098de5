"""The runner's command line: bad invocations and bad input exit 2 with one readable line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMNISAT_RUNNER_HOME": str(home), "PYTHONPATH": str(REPO)}
    env.pop("OMNISAT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("args, culprit", [
    (["classify", "--s2", "x.tif", "--out", "o.tif"], "--model"),
    (["pretrain", "--s2", "a.tif", "--out-model", "m", "--extent", "1,2,3"], "--extent"),
    (["pretrain", "--s2", "a.tif", "--out-model", "m", "--size", "huge"], "--size"),
    (["frobnicate"], "frobnicate"),
])
def test_bad_invocation_exits_2_with_one_line(args: list[str], culprit: str, tmp_path: Path) -> None:
    r = run_cli(*args, home=tmp_path)
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and culprit in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_bad_spec_value_names_the_field(tmp_path: Path) -> None:
    r = run_cli("classify", "--model", "../evil", "--s2", str(tmp_path / "S2_20200101.tif"),
                "--out", str(tmp_path / "o.tif"), home=tmp_path)
    assert r.returncode == 2
    assert "model" in r.stderr and "Traceback" not in r.stderr


def test_missing_raster_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "S2_20200101.tif"
    r = run_cli("pretrain", "--s2", str(missing), "--out-model", "m", "--size", "tiny", home=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "S2_20200101.tif" in r.stderr and "Traceback" not in r.stderr


def test_models_lists_an_empty_home(tmp_path: Path) -> None:
    r = run_cli("models", "--json", home=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "[]"
