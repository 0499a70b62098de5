"""The issue's "must show": 2-process training whose replicas stay identical, and 2-process inference giving the
same map as one process, each through the real `torchrun -m runner` on the CPU (gloo); plus resume after a
killed run and a failing rank leaving no output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio

from tests.distributed.conftest import ROOT, TIMEOUT, env, finetune_args, inputs, run, state_hashes, torchrun_cmd


def test_two_process_training_keeps_replicas_identical_and_saves_one_model(trained: dict) -> None:
    from runner import model_store as store
    from runner.distributed.train import state_sha256

    home = trained["home"]
    for name in ("pre", "ft"):
        ranks = state_hashes(home / "jobs" / f"dist-{name}")
        assert len(ranks) == 2, name
        assert ranks[0] == ranks[1], f"{name}: the replicas' weights differ: {ranks}"
        assert set(ranks[0]) == {"best", "last"}
    # one model each, complete (no temporary folders), loading with the weights both replicas ended with
    assert sorted(p.name for p in (home / "models").iterdir()) == ["ft", "pre"]
    weights, card = store.load_model(home, "ft")
    assert state_sha256(weights) == state_hashes(home / "jobs" / "dist-ft")[0]["best"]
    assert card["kind"] == "classifier" and card["base_model"] == "pre" and len(card["history"]) == 2
    # rank 0 alone reports: one result on stdout, each epoch once on stderr
    result = json.loads(trained["finetune"].stdout)
    assert result["model"] == "ft" and result["classes"]
    err = trained["finetune"].stderr
    assert err.count("epoch: finetune epoch 1/2") == 1 and err.count("model: saved model ft") == 1, err[-2000:]


@pytest.mark.parametrize("amp", ["auto", "bf16"])  # bf16: what `auto` picks for base models on AMX/AVX512-BF16
def test_two_process_classify_gives_the_same_map_as_one_process(trained: dict, scene: Path, tmp_path: Path,
                                                                amp: str) -> None:
    home = trained["home"]
    args = ["-m", "runner", "classify", "--home", str(home), *inputs(scene), "--model", "ft", "--amp", amp]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = run([sys.executable, *args, "--out", str(tmp_path / "one" / "map.tif")])
    assert one.returncode == 0, one.stderr[-3000:]
    two = run(torchrun_cmd([*args, "--out", str(tmp_path / "two" / "map.tif")]))
    assert two.returncode == 0, two.stderr[-3000:]

    for name in ("map.tif", "map_confidence.tif"):
        with rasterio.open(tmp_path / "one" / name) as a, rasterio.open(tmp_path / "two" / name) as b:
            x, y = a.read(), b.read()
            assert (a.transform, a.crs, a.nodata, a.tags()) == (b.transform, b.crs, b.nodata, b.tags())
            if name == "map.tif":
                assert a.colormap(1) == b.colormap(1)
                assert len(np.unique(x)) >= 2  # a real map, not an empty one
        assert x.shape == y.shape and np.array_equal(x, y), f"{name}: {int((x != y).sum())} pixels differ"
    assert (tmp_path / "one" / "map.qml").read_text() == (tmp_path / "two" / "map.qml").read_text()
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(p.name for p in (tmp_path / "one").iterdir())
    r1, r2 = json.loads(one.stdout), json.loads(two.stdout)  # rank 0 alone prints the result
    assert r1["areas"] == r2["areas"] and r1["classes"] == r2["classes"]
    assert r1["precision"] == r2["precision"] == ("bf16" if amp == "bf16" else "fp32")  # tiny stays fp32 on auto
    assert not list((home / "jobs").glob("*/classify-shards")), "shard files left behind"


def test_a_killed_run_resumes_from_rank_0s_checkpoint_to_the_same_weights(trained: dict, scene: Path) -> None:
    """Killed (SIGKILL, as a lost node) after epoch 1, then restarted under the same run id: it resumes and ends
    with the weights of the uninterrupted 2-epoch run."""
    home = trained["home"]
    cmd = torchrun_cmd(finetune_args(scene, home, "ft-resumed"), run_id="ft-resume")
    job = home / "jobs" / "dist-ft-resume"
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # nosec B603
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (job / "checkpoint" / "latest").is_file() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        kill_tree(proc.pid)  # torchrun's workers live in their own sessions: kill them by parentage
        proc.wait(timeout=30)
    assert (job / "checkpoint" / "latest").read_text() == "epoch-1"
    assert not (home / "models" / "ft-resumed").exists()

    again = run(cmd)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stderr.count("resuming after epoch 1 of 2") == 1, again.stderr[-2000:]
    resumed, straight = state_hashes(job), state_hashes(home / "jobs" / "dist-ft")
    assert resumed[0] == resumed[1] == straight[0]


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants (found through /proc), children first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))

    def walk(p: int) -> list[int]:
        return [q for c in children.get(p, []) for q in walk(c)] + [p]

    for p in walk(pid):
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_rank_that_fails_leaves_no_output(trained: dict, scene: Path, tmp_path: Path) -> None:
    """Rank 1 classifies with other tiles than rank 0 (a node with different data): it stops with a message
    naming the mismatch, torchrun ends rank 0, and no map (not even a .partial) exists."""
    out = tmp_path / "map.tif"
    script = Path(__file__).with_name("rank_disagrees.py")
    res = run(torchrun_cmd([str(script), str(trained["home"]), str(scene), str(out)]))
    assert res.returncode != 0
    assert "rank 1 sees a different extent or model than rank 0" in res.stderr, res.stderr[-3000:]
    assert list(tmp_path.iterdir()) == []
