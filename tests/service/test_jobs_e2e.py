"""Real jobs through a live runner: train and classify, cancel mid-job, kill -9 and resume, disk full."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.service.conftest import LiveRunner, start_runner
from tests.service.test_service import wait_state


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    from runner.geo.scene import make_scene

    out = tmp_path_factory.mktemp("e2e") / "scene"
    make_scene(out, size_km=0.6, seed=2, aerial_res=0.5)
    return out


def inputs(scene: Path) -> dict:
    return {"aerial": str(scene / "aerial.tif"), "s1": sorted(str(p) for p in (scene / "s1").glob("*.tif")),
            "s2": sorted(str(p) for p in (scene / "s2").glob("*.tif")), "device": "cpu"}


def submit(c, kind: str, spec: dict) -> str:
    r = c.post("/v1/jobs", json={"kind": kind, "spec": spec})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def wait_progress(c, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = c.get(f"/v1/jobs/{job_id}").json()
        if job["state"] == "running" and job.get("progress") and job["progress"].get("done", 0) >= 1:
            return job
        assert job["state"] in ("queued", "running"), job
        time.sleep(0.05)
    raise AssertionError("no progress")


def test_train_classify_cancel_through_the_api(live_runner: LiveRunner, scene: Path, tmp_path: Path) -> None:
    with live_runner.client() as c:
        pre = submit(c, "pretrain", {**inputs(scene), "out_model": "pre", "size": "tiny", "epochs": 1})
        ft = submit(c, "finetune", {**inputs(scene), "model": "pre", "labels": str(scene / "labels.gpkg"),
                                    "class_field": "class_name", "out_model": "clf", "epochs": 3})
        assert wait_state(c, pre, {"done", "failed"}, 300)["state"] == "done"
        job = wait_state(c, ft, {"done", "failed"}, 300)
        assert job["state"] == "done", job["message"]
        models = {m["name"]: m for m in c.get("/v1/models").json()}
        assert set(models) == {"pre", "clf"}
        card = c.get("/v1/models/clf").json()
        assert card["classes"] and card["metrics"]["macro_f1"] is not None

        out = tmp_path / "map.tif"
        cl = submit(c, "classify", {**inputs(scene), "model": "clf", "out": str(out)})
        job = wait_state(c, cl, {"done", "failed"}, 300)
        assert job["state"] == "done", job["message"]
        assert Path(job["result"]["class_map"]).exists() and Path(job["result"]["qml"]).exists()
        # the files the finished job wrote are served; a neighbour in the same folder is not
        got = c.get("/v1/files", params={"path": job["result"]["class_map"]})
        assert got.status_code == 200 and got.content == out.read_bytes()
        (tmp_path / "neighbour.txt").write_text("not a result")
        assert c.get("/v1/files", params={"path": str(tmp_path / "neighbour.txt")}).status_code == 403
        # done jobs keep no checkpoints or caches
        assert not (live_runner.home / "jobs" / pre).exists() and not (live_runner.home / "jobs" / cl).exists()
        assert {j["id"]: j["checkpoint_bytes"] for j in c.get("/v1/jobs").json()}[pre] == 0

        # cancel mid-classify: no result, nothing half-written
        out2 = tmp_path / "cancelled.tif"
        cl2 = submit(c, "classify", {**inputs(scene), "model": "clf", "out": str(out2), "batch_size": 1,
                                     "overlap": 4})
        wait_progress(c, cl2)
        c.post(f"/v1/jobs/{cl2}/cancel")
        job = wait_state(c, cl2, {"cancelled", "done", "failed"}, 120)
        assert job["state"] == "cancelled", job
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("cancelled")]

        # cancel mid-training: no model appears
        pre2 = submit(c, "pretrain", {**inputs(scene), "out_model": "never", "size": "tiny", "epochs": 200})
        wait_progress(c, pre2)
        c.post(f"/v1/jobs/{pre2}/cancel")
        assert wait_state(c, pre2, {"cancelled", "done", "failed"}, 120)["state"] == "cancelled"
        assert "never" not in {m["name"] for m in c.get("/v1/models").json()}
        assert c.delete("/v1/models/pre").status_code == 204
        assert c.get("/v1/models/pre").status_code == 404


def test_kill_9_during_pretraining_then_resume_from_checkpoint(runner_home: Path, scene: Path) -> None:
    runner = start_runner(runner_home)
    with runner.client() as c:
        job_id = submit(c, "pretrain", {**inputs(scene), "out_model": "night", "size": "tiny", "epochs": 6})
        ckpt = runner_home / "jobs" / job_id / "checkpoint"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not (ckpt / "latest").exists():
            time.sleep(0.02)
        assert (ckpt / "latest").exists(), "no complete checkpoint was written"
    runner.stop(signal.SIGKILL)
    runner = start_runner(runner_home)
    try:
        with runner.client() as c:
            job = c.get(f"/v1/jobs/{job_id}").json()
            if job["state"] == "done":  # finished between the checkpoint and the kill: nothing to resume
                pytest.skip("the job finished before the kill")
            assert job["state"] == "interrupted"
            assert job["checkpoint_bytes"] > 0  # kept for the resume, and shown in the job list
            listed = {j["id"]: j for j in c.get("/v1/jobs").json()}
            assert listed[job_id]["checkpoint_bytes"] == job["checkpoint_bytes"]
            assert c.post(f"/v1/jobs/{job_id}/resume").json()["state"] in ("queued", "running")
            job = wait_state(c, job_id, {"done", "failed"}, 300)
            assert job["state"] == "done", job["message"]
            assert job["checkpoint_bytes"] == 0 and not (runner_home / "jobs" / job_id).exists()
            events = [e["message"] for e in c.get(f"/v1/jobs/{job_id}/events").json()]
            assert any("resuming after epoch" in m for m in events), events
            assert "night" in {m["name"] for m in c.get("/v1/models").json()}
    finally:
        runner.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_disk_full_is_a_clear_error_and_leaves_nothing(live_runner: LiveRunner, scene: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(full)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        subprocess.run(["dd", "if=/dev/zero", f"of={full}/filler", "bs=4k", "count=64"], capture_output=True)
        with live_runner.client() as c:
            submit(c, "finetune", {**inputs(scene), "labels": str(scene / "labels.gpkg"), "class_field": "class_name",
                                   "out_model": "small", "size": "tiny", "epochs": 1})
            time.sleep(0.5)
            cl = submit(c, "classify", {**inputs(scene), "model": "small", "out": str(full / "map.tif")})
            job = wait_state(c, cl, {"done", "failed"}, 300)
            assert job["state"] == "failed"
            assert "disk full" in job["message"] or "No space" in job["message"], job["message"]
            assert sorted(p.name for p in full.iterdir()) == ["filler"]
            assert c.get("/v1/health").status_code == 200
    finally:
        subprocess.run(["umount", str(full)])
