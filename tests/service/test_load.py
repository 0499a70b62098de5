"""Load on a live runner: 200 concurrent requests (status polls and job submissions) on 127.0.0.1.

All are answered, no job is lost, and jobs start in the order the queue gave them.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.service.conftest import LiveRunner


def test_200_concurrent_requests_all_answered_in_queue_order(live_runner: LiveRunner, tmp_path) -> None:
    def submit(i: int) -> tuple[str, int, str | None]:
        with live_runner.client() as c:
            r = c.post("/v1/jobs", json={"kind": "pretrain", "spec": {
                "s2": [str(tmp_path / f"missing_{i}" / "S2_20200101.tif")], "out_model": f"load{i}", "size": "tiny"}})
            return "submit", r.status_code, r.json().get("id")

    def poll(_: int) -> tuple[str, int, None]:
        with live_runner.client() as c:
            return "poll", c.get("/v1/jobs", params={"limit": 20}).status_code, None

    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = [pool.submit(submit if i % 2 == 0 else poll, i) for i in range(200)]
        answers = [f.result(timeout=120) for f in futures]

    assert len(answers) == 200
    assert all(code in (200, 201) for _, code, _ in answers), {code for _, code, _ in answers}
    submitted = {job_id for kind, _, job_id in answers if kind == "submit"}
    assert len(submitted) == 100

    with httpx.Client(base_url=live_runner.url, headers={"Authorization": f"Bearer {live_runner.token}"},
                      timeout=30) as c:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            jobs = {j["id"]: j for j in c.get("/v1/jobs", params={"limit": 500}).json()}
            if all(jobs.get(i, {}).get("state") in ("failed", "done") for i in submitted):
                break
            time.sleep(0.5)
        assert submitted <= set(jobs), "a submitted job is missing from the list"
        mine = sorted((jobs[i] for i in submitted), key=lambda j: j["queue_position"])
        assert all(j["state"] == "failed" and "S2_20200101.tif" in j["message"] for j in mine)
        started = [j["started"] for j in mine]
        assert started == sorted(started), "jobs did not start in queue order"
        assert c.get("/v1/health").status_code == 200
