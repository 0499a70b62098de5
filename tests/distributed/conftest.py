"""torchrun on the CPU (gloo): a small synthetic scene, and the runner's CLI launched as users launch it.

Every run is a real `torchrun ... -m runner <op>` subprocess from the venv, with a timeout; each rank writes the
sha256 of its final weights to its job folder (OMNISAT_DIST_STATE_HASH=1) so replica identity is checked from the
outside. Named runs (`--rdzv-id NAME`) put their job folder at `<home>/jobs/dist-NAME`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TORCHRUN = Path(sys.executable).with_name("torchrun")
TIMEOUT = 240  # seconds per launch; a run here takes about 10


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")}
    out["OMNISAT_DIST_STATE_HASH"] = "1"
    out.pop("OMNISAT_DEBUG", None)
    return out


def torchrun_cmd(target: list[str], *, nproc: int = 2, run_id: str | None = None) -> list[str]:
    """`torchrun --standalone`, or a named single-node run (c10d on a free port) whose job folder is fixed."""
    launch = ["--standalone"] if run_id is None else [
        "--nnodes", "1", "--rdzv-backend", "c10d", "--rdzv-endpoint", "localhost:0", "--rdzv-id", run_id]
    return [str(TORCHRUN), *launch, "--nproc-per-node", str(nproc), *target]


def run(cmd: list[str], timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout)  # nosec B603


def inputs(scene: Path) -> list[str]:
    return ["--device", "cpu", "--aerial", str(scene / "aerial.tif"), "--s1", str(scene / "s1"),
            "--s2", str(scene / "s2")]


def finetune_args(scene: Path, home: Path, out_model: str) -> list[str]:
    """The fine-tune every training test runs (the same arguments give the same weights)."""
    return ["-m", "runner", "finetune", "--home", str(home), *inputs(scene), "--model", "pre",
            "--labels", str(scene / "labels.gpkg"), "--class-field", "class_name", "--out-model", out_model,
            "--epochs", "2"]


def state_hashes(job: Path) -> list[dict[str, str]]:
    """Per rank, {'best': sha256, 'last': sha256} from the files the ranks wrote."""
    files = sorted(job.glob("state-rank*.sha256"))
    return [dict(line.split() for line in f.read_text().splitlines()) for f in files]


@pytest.fixture(scope="session")
def scene(tmp_path_factory) -> Path:
    from runner.geo.scene import make_scene

    out = tmp_path_factory.mktemp("dist") / "scene"
    make_scene(out, size_km=0.4, seed=1, aerial_res=0.5)
    return out


@pytest.fixture(scope="session")
def trained(tmp_path_factory, scene: Path) -> dict:
    """2-process pretraining (1 epoch) then 2-process fine-tuning from it (2 epochs), tiny model."""
    home = tmp_path_factory.mktemp("home")
    pre = run(torchrun_cmd(["-m", "runner", "pretrain", "--home", str(home), *inputs(scene), "--out-model", "pre",
                            "--size", "tiny", "--epochs", "1"], run_id="pre"))
    assert pre.returncode == 0, pre.stderr[-3000:]
    ft = run(torchrun_cmd(finetune_args(scene, home, "ft"), run_id="ft"))
    assert ft.returncode == 0, ft.stderr[-3000:]
    return {"home": home, "pretrain": pre, "finetune": ft}
