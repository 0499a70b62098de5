"""The runner service, as the plugin sees it: a real `python -m runner serve` process over HTTP."""

from __future__ import annotations

import os
import stat
import time

import httpx

from tests.service.conftest import LiveRunner, start_runner


def wait_state(client: httpx.Client, job_id: str, states: set[str], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["state"] in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {states}; last: {job}")


def test_state_file_is_private_and_names_a_loopback_port(live_runner: LiveRunner) -> None:
    state = live_runner.home / "runner.json"
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    assert live_runner.url.startswith("http://127.0.0.1:")


def test_every_endpoint_needs_the_token(live_runner: LiveRunner) -> None:
    for token in ("", "wrong-token"):
        with live_runner.client(token=token) as c:
            for method, path in [("GET", "/v1/health"), ("GET", "/v1/jobs"), ("POST", "/v1/jobs"),
                                 ("GET", "/v1/models"), ("DELETE", "/v1/models/x"), ("GET", "/v1/openapi.json")]:
                r = c.request(method, path, json={} if method == "POST" else None)
                assert r.status_code == 401, (token, method, path, r.status_code)


def test_health_reports_protocol_versions_and_device(live_runner: LiveRunner) -> None:
    with live_runner.client() as c:
        health = c.get("/v1/health").json()
    assert health["protocol"] == 1
    assert health["device"] == "cpu" and "CPU" in health["device_name"]
    assert health["torch_version"].startswith("2.")
    assert health["path_access"] is True


def test_bad_request_names_the_field(live_runner: LiveRunner) -> None:
    with live_runner.client() as c:
        r = c.post("/v1/jobs", json={"kind": "classify", "spec": {"s2": ["a.tif"], "out": "x.tif"}})
        assert r.status_code == 422 and "spec.model" in r.json()["detail"]
        r = c.post("/v1/jobs", json={"kind": "classify", "spec": {"s2": ["a.tif"], "model": "m", "out": "x.png"}})
        assert r.status_code == 422 and "spec.out" in r.json()["detail"]
        r = c.post("/v1/jobs", json={"kind": "explode", "spec": {}})
        assert r.status_code == 422 and "kind" in r.json()["detail"]
        r = c.post("/v1/jobs", content=b"x" * 2_000_000, headers={"Content-Type": "application/json"})
        assert r.status_code == 413
        assert c.get("/v1/jobs/" + "0" * 32).status_code == 404


def test_job_with_a_missing_file_fails_naming_it_and_runner_stays_up(live_runner: LiveRunner, tmp_path) -> None:
    missing = str(tmp_path / "S2_20200101.tif")
    with live_runner.client() as c:
        r = c.post("/v1/jobs", json={"kind": "pretrain",
                                     "spec": {"s2": [missing], "out_model": "m1", "size": "tiny", "epochs": 1}})
        assert r.status_code == 201, r.text
        job = wait_state(c, r.json()["id"], {"failed", "done"})
        assert job["state"] == "failed"
        assert "S2_20200101.tif" in job["message"]
        assert c.get("/v1/health").status_code == 200
        events = c.get(f"/v1/jobs/{job['id']}/events").json()
        assert [e["message"] for e in events][:2] == ["queued", "running"]


def test_job_ids_are_unguessable_and_queued_jobs_cancel(live_runner: LiveRunner, tmp_path) -> None:
    with live_runner.client() as c:
        ids = []
        for i in range(3):
            r = c.post("/v1/jobs", json={"kind": "pretrain", "spec": {
                "s2": [str(tmp_path / f"S2_2020010{i + 1}.tif")], "out_model": f"m{i}", "size": "tiny"}})
            ids.append(r.json()["id"])
        assert all(len(i) == 32 for i in ids) and len(set(ids)) == 3
        cancelled = c.post(f"/v1/jobs/{ids[2]}/cancel").json()
        assert cancelled["state"] in ("cancelled", "failed")  # failed if the worker got there first
        listed = [j["id"] for j in c.get("/v1/jobs").json()]
        assert listed[:3] == ids[::-1]


def test_running_job_is_interrupted_not_lost_when_the_runner_dies(runner_home, tmp_path) -> None:
    """kill -9 mid-job: after a restart the job shows as interrupted."""
    import signal

    from runner.jobs.store import JobStore

    runner = start_runner(runner_home)
    runner.stop(signal.SIGKILL)
    store = JobStore(runner_home / "jobs.sqlite")  # a job the dead runner had started
    job = store.create("pretrain", {"s2": ["x"], "out_model": "m"})
    assert store.next_queued()["id"] == job["id"]
    store.close()
    runner = start_runner(runner_home)
    try:
        with runner.client() as c:
            got = c.get(f"/v1/jobs/{job['id']}").json()
            assert got["state"] == "interrupted"
            assert "resume" in got["message"]
    finally:
        runner.stop()


def test_refuses_non_loopback_host_without_opt_in(runner_home) -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "runner", "serve", "--home", str(runner_home), "--host", "0.0.0.0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "loopback" in r.stderr


def test_runner_stops_when_the_process_it_serves_ends(runner_home) -> None:
    """What the plugin relies on when QGIS crashes or `qgis_process` exits: `--exit-with-pid`."""
    import subprocess
    import sys

    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    runner = start_runner(runner_home, "--exit-with-pid", str(owner.pid))
    try:
        time.sleep(2.5)
        assert runner.proc.poll() is None  # its owner is alive: it keeps serving
        owner.kill()
        owner.wait(5)
        assert runner.proc.wait(20) == 0  # a clean stop, not a crash
        assert not (runner_home / "runner.json").exists()
        assert "has ended: stopping" in (runner_home / "logs" / "runner.log").read_text()
    finally:
        owner.kill()
        runner.stop()


def test_runner_starts_with_a_page_keeping_allocator_when_available(live_runner: LiveRunner) -> None:
    from runner.allocator import find_jemalloc

    with live_runner.client() as c:
        health = c.get("/v1/health").json()
    assert health["allocator"] == ("jemalloc" if find_jemalloc() else "system")


def test_a_stable_token_from_a_private_file(runner_home, tmp_path) -> None:
    import subprocess
    import sys

    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-for-the-gpu-server-0123456789\n")
    token_file.chmod(0o644)
    r = subprocess.run([sys.executable, "-m", "runner", "serve", "--home", str(runner_home), "--token-file",
                        str(token_file)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "readable by others" in r.stderr
    token_file.chmod(0o600)
    runner = start_runner(runner_home, "--token-file", str(token_file))
    try:
        assert runner.token == "s3cret-token-for-the-gpu-server-0123456789"
        with runner.client() as c:
            assert c.get("/v1/health").status_code == 200
    finally:
        runner.stop()


def test_selftest_classifies_a_tiny_scene_end_to_end(live_runner: LiveRunner) -> None:
    with live_runner.client() as c:
        r = c.post("/v1/jobs", json={"kind": "selftest", "spec": {}})
        assert r.status_code == 201, r.text
        job = wait_state(c, r.json()["id"], {"done", "failed"}, 300)
        assert job["state"] == "done", job["message"]
        res = job["result"]
        assert res["ok"] and res["patches"] == 400 and res["classes"] >= 2
        assert set(res["timings"]) == {"scene_s", "finetune_s", "classify_s"}
        assert not [m for m in c.get("/v1/models").json() if m["name"].startswith("selftest")]
        assert c.post("/v1/jobs", json={"kind": "selftest", "spec": {"x": 1}}).status_code == 422
