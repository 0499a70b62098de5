"""What a runner leaves behind and how fast it stops: the state file after kill -9 and clean stops, and cancel
landing inside a long training step. Real runner processes on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.service.conftest import REPO, start_runner
from tests.service.test_jobs_e2e import inputs, submit


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


def test_a_stale_state_file_is_replaced_at_start_and_removed_on_a_clean_stop(runner_home: Path) -> None:
    state = runner_home / "runner.json"
    state.write_text(json.dumps({"url": "http://127.0.0.1:1", "token": "old", "pid": dead_pid()}))
    runner = start_runner(runner_home, keep_state=True)
    assert json.loads(state.read_text())["pid"] == runner.proc.pid
    assert "replacing a stale" in (runner_home / "logs" / "runner.log").read_text()

    # a second runner on the same home is refused while the first lives
    second = subprocess.run([sys.executable, "-m", "runner", "serve", "--home", str(runner_home)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and f"pid {runner.proc.pid}" in second.stderr, second.stderr
    assert json.loads(state.read_text())["pid"] == runner.proc.pid

    runner.stop(signal.SIGKILL)  # nothing can clean up after kill -9: the next start does
    assert json.loads(state.read_text())["pid"] == runner.proc.pid
    runner = start_runner(runner_home, keep_state=True)
    assert json.loads(state.read_text())["pid"] == runner.proc.pid
    assert runner.stop(signal.SIGTERM) == 0 and not state.exists()
    runner = start_runner(runner_home)
    assert runner.stop(signal.SIGHUP) == 0 and not state.exists()  # a closed terminal is a clean stop too


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    from runner.geo.scene import make_scene

    out = tmp_path_factory.mktemp("cancel") / "scene"
    make_scene(out, size_km=0.6, seed=3, aerial_res=0.5)
    return out


def test_cancel_lands_within_a_second_even_mid_step(live_runner, scene: Path) -> None:
    """A base-size pretraining step takes seconds on a CPU; the cancel must not wait for it to end."""
    with live_runner.client() as c:
        job_id = submit(c, "pretrain", {**inputs(scene), "out_model": "slow", "size": "base", "epochs": 50,
                                        "batch_size": 2})
        seen: list[tuple[float, int]] = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and len(seen) < 2:
            job = c.get(f"/v1/jobs/{job_id}").json()
            assert job["state"] in ("queued", "running"), job
            done = (job.get("progress") or {}).get("done", 0)
            if done and (not seen or seen[-1][1] != done):
                seen.append((time.monotonic(), done))
            time.sleep(0.02)
        assert len(seen) >= 2, "training made no progress"
        step_s = seen[-1][0] - seen[-2][0]
        time.sleep(min(0.3, step_s / 3))  # inside the next step
        asked = time.monotonic()
        assert c.post(f"/v1/jobs/{job_id}/cancel").status_code == 200
        while c.get(f"/v1/jobs/{job_id}").json()["state"] == "running" and time.monotonic() - asked < 60:
            time.sleep(0.01)
        took = time.monotonic() - asked
        job = c.get(f"/v1/jobs/{job_id}").json()
    print(f"\nstep {step_s:.2f} s, cancel landed after {took:.2f} s")
    assert job["state"] == "cancelled", job
    assert took < 1.0, f"cancel took {took:.2f} s (a step takes {step_s:.2f} s)"
    assert not (live_runner.home / "jobs" / job_id).exists() and job["checkpoint_bytes"] == 0


def test_checkpoints_of_an_interrupted_job_are_shown_and_can_be_freed(runner_home: Path) -> None:
    from runner.jobs.store import JobStore

    store = JobStore(runner_home / "jobs.sqlite")
    job = store.create("pretrain", {"s2": ["/nowhere/S2_20200101.tif"], "out_model": "m"})
    assert store.next_queued()["id"] == job["id"]  # running when its runner died
    store.close()
    folder = runner_home / "jobs" / job["id"] / "checkpoint"
    folder.mkdir(parents=True)
    (folder / "state.safetensors").write_bytes(b"\0" * 123_456)
    runner = start_runner(runner_home)
    try:
        with runner.client() as c:
            got = c.get(f"/v1/jobs/{job['id']}").json()
            assert got["state"] == "interrupted" and got["checkpoint_bytes"] == 123_456
            assert c.delete(f"/v1/jobs/{job['id']}/checkpoints").status_code == 204
            assert c.get(f"/v1/jobs/{job['id']}").json()["checkpoint_bytes"] == 0
            assert not (runner_home / "jobs" / job["id"]).exists()
            assert c.delete("/v1/jobs/" + "0" * 32 + "/checkpoints").status_code == 404
    finally:
        runner.stop()
