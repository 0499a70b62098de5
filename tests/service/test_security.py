"""The runner attacked as a token holder would: paths, encodings, sizes and concurrency, against real runner
processes on 127.0.0.1 (a local one as the plugin starts it, and one started with `--allow-remote` and roots).

Each test says what it shows; docs/reliability.md lists them with the threat model. Loops are bounded and every
server listens on loopback only.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from runner.api.body_limit import DRAIN_BYTES
from tests.service.conftest import LiveRunner, start_runner
from tests.service.raw_http import chunked_post, declared_post, repeat
from tests.service.test_service import wait_state

S2 = "S2_20200101.tif"


@pytest.fixture(scope="module")
def local_runner(tmp_path_factory) -> LiveRunner:
    """As the plugin starts it: no roots on the command line (home, temp folder and start folder by default)."""
    home = tmp_path_factory.mktemp("sec-local") / "home"
    home.mkdir()
    runner = start_runner(home)
    yield runner
    runner.stop()


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("sec-roots")
    out = {name: base / name for name in ("read", "write", "outside")}
    for p in out.values():
        p.mkdir()
    (out["outside"] / "secret.txt").write_text("not for token holders")
    (out["read"] / S2).write_bytes(b"II*\x00")               # looks like a TIFF
    (out["read"] / "evil.tif").write_text('<VRTDataset rasterXSize="1" rasterYSize="1"/>')
    (out["read"] / "link.tif").symlink_to(out["outside"] / "secret.txt")
    (out["read"] / "dirlink").symlink_to(out["outside"])
    (out["write"] / "dirlink").symlink_to(out["outside"])
    series = out["read"] / "series"
    series.mkdir()
    (series / S2).write_bytes(b"II*\x00")
    (series / "S2_20200201.tif").symlink_to(out["outside"] / "secret.txt")
    return out


@pytest.fixture(scope="module")
def remote_runner(tmp_path_factory, roots) -> LiveRunner:
    """A runner for others (behind a TLS proxy): reads and writes only under the roots its operator named."""
    home = tmp_path_factory.mktemp("sec-remote") / "home"
    home.mkdir()
    runner = start_runner(home, "--allow-remote", "--read-root", str(roots["read"]), "--write-root",
                          str(roots["write"]), "--max-upload-mb", "2")
    yield runner
    runner.stop()


def classify(out: str, **inputs) -> dict:
    return {"kind": "classify", "spec": {"s2": [f"/data/{S2}"], **inputs, "model": "nonexistent", "out": out}}


# -- the reproduction of the issue --------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["local", "remote"])
def test_declaring_an_output_folder_opens_no_file(mode: str, local_runner, remote_runner, roots, tmp_path) -> None:
    """POST classify with model "nonexistent" and out "/x.tif", then GET /etc/passwd: 403 before and after, and a
    job that does run (failing) does not make its folder downloadable either."""
    runner = local_runner if mode == "local" else remote_runner
    read = {"s2": [str(roots["read"] / S2)]}
    with runner.client() as c:
        assert c.get("/v1/files", params={"path": "/etc/passwd"}).status_code == 403
        r = c.post("/v1/jobs", json=classify("/x.tif", **read))
        assert r.status_code == 403 and "spec.out" in r.json()["detail"] and "policy" in r.json()["detail"], r.text
        assert c.get("/v1/files", params={"path": "/etc/passwd"}).status_code == 403
        folder = roots["write"] if mode == "remote" else tmp_path
        (folder / "other.txt").write_text("a file that no job wrote")
        r = c.post("/v1/jobs", json=classify(str(folder / "x.tif"), **read))
        assert r.status_code == 201, r.text
        assert wait_state(c, r.json()["id"], {"failed", "done"})["state"] == "failed"
        for path in ("/etc/passwd", str(folder / "other.txt"), str(folder / "x.tif"),
                     str(runner.home / "runner.json"), str(runner.home / "jobs.sqlite")):
            got = c.get("/v1/files", params={"path": path})
            assert got.status_code == 403, (path, got.status_code)
            assert "token" not in got.text


@pytest.mark.parametrize("mode", ["local", "remote"])
def test_dot_dot_segments_cannot_leave_the_write_roots(mode: str, local_runner, remote_runner, roots,
                                                       tmp_path) -> None:
    runner = local_runner if mode == "local" else remote_runner
    root = roots["write"] if mode == "remote" else Path(str(tmp_path))
    depth = len(root.parts)
    escape = str(root) + "/.." * depth + "/etc/x.tif"
    inside = str(root / "a" / ".." / "x.tif")
    read = {"s2": [str(roots["read"] / S2)]}
    with runner.client() as c:
        r = c.post("/v1/jobs", json=classify(escape, **read))
        assert r.status_code == 403 and "outside the folders this runner writes to" in r.json()["detail"]
        r = c.post("/v1/jobs", json=classify(inside, **read))
        assert r.status_code == 201, r.text
        c.post(f"/v1/jobs/{r.json()['id']}/cancel")


@pytest.mark.parametrize("mode", ["local", "remote"])
def test_a_symlink_out_of_a_write_root_is_refused(mode: str, local_runner, remote_runner, roots,
                                                  tmp_path) -> None:
    runner = local_runner if mode == "local" else remote_runner
    if mode == "local":  # the temporary folder is a local root: a link there pointing outside every root
        link = tmp_path / "to-root"
        link.symlink_to("/")
        target = str(link / "etc" / "x.tif")
    else:
        target = str(roots["write"] / "dirlink" / "x.tif")
    with runner.client() as c:
        r = c.post("/v1/jobs", json=classify(target, s2=[str(roots["read"] / S2)]))
        assert r.status_code == 403 and "spec.out" in r.json()["detail"], r.text


def test_a_local_runner_reads_what_its_user_can(local_runner, roots, tmp_path) -> None:
    """The plugin's runner serves the user who started it: reading is theirs, the output is what is limited."""
    with local_runner.client() as c:
        r = c.post("/v1/jobs", json=classify(str(tmp_path / "m.tif"), s2=[str(roots["outside"] / S2)]))
        assert r.status_code == 201, r.text
        health = c.get("/v1/health").json()
    assert health["path_access"] is True and health["access"]["mode"] == "local"
    assert health["access"]["read_roots"] is None
    assert str(Path.home().resolve()) in health["access"]["write_roots"]


def test_a_remote_runner_reads_only_under_its_roots(remote_runner, roots) -> None:
    out = str(roots["write"] / "m.tif")
    refused = {
        "outside": [str(roots["outside"] / S2)],
        "passwd": ["/etc/passwd"],
        "link to outside": [str(roots["read"] / "link.tif")],
        "folder link": [str(roots["read"] / "dirlink" / "secret.txt")],
        "link inside a series folder": [str(roots["read"] / "series")],
        "glob reaching a link": [str(roots["read"] / "series" / "*.tif")],
        "dot-dot": [str(roots["read"] / ".." / "outside" / S2)],
        "relative": [S2],
        "gdal network path": [f"/vsicurl/http://127.0.0.1:9/{S2}"],
        "vrt by content": [str(roots["read"] / "evil.tif")],
    }
    with remote_runner.client() as c:
        health = c.get("/v1/health").json()
        assert health["access"]["mode"] == "remote" and health["path_access"] is True
        for what, s2 in refused.items():
            r = c.post("/v1/jobs", json=classify(out, s2=s2))
            assert r.status_code == 403, (what, r.status_code, r.text)
            assert "spec.s2[0]" in r.json()["detail"], (what, r.text)
        r = c.post("/v1/jobs", json={"kind": "finetune", "spec": {
            "s2": [str(roots["read"] / S2)], "labels": "PG:dbname=postgres", "class_field": "c", "out_model": "x"}})
        assert r.status_code == 403 and "spec.labels" in r.json()["detail"] and "GDAL" in r.json()["detail"]
        r = c.post("/v1/jobs", json=classify(out, s2=[str(roots["read"] / S2)]))
        assert r.status_code == 201, r.text
        assert wait_state(c, r.json()["id"], {"failed", "done"})["state"] == "failed"


def test_an_uploads_only_runner_reads_uploads_and_writes_under_its_home(runner_home, roots) -> None:
    runner = start_runner(runner_home, "--no-path-access")
    try:
        with runner.client() as c:
            assert c.get("/v1/health").json()["path_access"] is False
            r = c.post("/v1/jobs", json=classify(str(runner_home / "outputs" / "m.tif"), s2=[str(roots["read"] / S2)]))
            assert r.status_code == 403 and "not an upload" in r.json()["detail"]
            up = c.post("/v1/files", params={"name": S2}, content=b"II*\x00").json()
            r = c.post("/v1/jobs", json=classify(str(roots["write"] / "m.tif"), s2=[up["path"]]))
            assert r.status_code == 403 and "spec.out" in r.json()["detail"]
            outdir = c.post("/v1/files/outdir").json()["path"]
            assert c.post("/v1/jobs", json=classify(f"{outdir}/m.tif", s2=[up["path"]])).status_code == 201
            assert c.get("/v1/files", params={"path": up["path"]}).status_code == 403  # uploads are not served
    finally:
        runner.stop()


def test_roots_are_the_operators_not_the_clients(runner_home, tmp_path) -> None:
    """Bad root options stop the start with one line (exit 2); nothing in a request can add a root."""
    import subprocess
    import sys

    from tests.service.conftest import REPO

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for args, words in ((["--read-root", str(tmp_path)], "--read-root needs --allow-remote"),
                        (["--allow-remote", "--write-root", str(tmp_path / "nope")], "does not exist")):
        done = subprocess.run([sys.executable, "-m", "runner", "serve", "--home", str(runner_home), *args],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and words in done.stderr, done.stderr


# -- encodings ------------------------------------------------------------------------------------------------------
def test_encoded_paths_and_ids_reach_nothing(remote_runner, roots) -> None:
    raw_queries = ["path=%2Fetc%2Fpasswd", "path=%252Fetc%252Fpasswd", "path=..%2F..%2F..%2Fetc%2Fpasswd",
                   "path=%2Fetc%2Fpasswd%00.tif", "path=" + "%2E%2E%2F" * 12 + "etc%2Fpasswd",
                   "path=%EF%BC%8Fetc%EF%BC%8Fpasswd", "path=" + str(roots["write"] / "dirlink" / "secret.txt"),
                   "path=file%3A%2F%2F%2Fetc%2Fpasswd", "path=%2Fproc%2Fself%2Fenviron"]
    with remote_runner.client() as c:
        for q in raw_queries:
            r = c.get("/v1/files?" + q)
            assert r.status_code in (403, 404, 422) and "root:" not in r.text, (q, r.status_code, r.text[:200])
        for job in ("..%2F..%2Fetc%2Fpasswd", "%2e%2e", "x" * 100, "%00"):
            assert c.get(f"/v1/jobs/{job}").status_code == 404, job
        for name in ("..%2F..%2Fetc", "%2e%2e", "a%00b"):
            assert c.get(f"/v1/models/{name}").status_code in (404, 422), name
        assert c.post("/v1/files", params={"name": "x.tif", "folder": "../../etc"}, content=b"1").status_code == 404


def test_malformed_json_is_answered_in_plain_words(local_runner) -> None:
    with local_runner.client() as c:
        r = c.post("/v1/jobs", content=b'{"kind": "selftest" "spec": {}}', headers={"Content-Type": "application/json"})
        assert r.status_code == 422
        assert r.json()["detail"] == ("the request body is not valid JSON: Expecting ',' delimiter at line 1 "
                                      "column 21")
        r = c.post("/v1/jobs", content=b'{\n  "kind": "selftest",\n  spec: 1}',
                   headers={"Content-Type": "application/json"})
        assert "at line 3 column 3" in r.json()["detail"]
        r = c.post("/v1/jobs", headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and "request body is missing" in r.json()["detail"]


# -- sizes ------------------------------------------------------------------------------------------------------------
def test_bodies_over_the_limit_are_refused_while_reading_whatever_the_encoding(local_runner) -> None:
    """The 50 MB chunked body of the issue and a 4.6 MB valid spec sent chunked: 413, as with a Content-Length."""
    flood = chunked_post(local_runner.url, "/v1/jobs", repeat(b"x" * 65536, 50_000_000), token=local_runner.token)
    assert flood.status == 413 and b"larger than the limit of 1000000 bytes" in flood.body
    # past the limit the rest is read and dropped (so a proxy gets the 413), but only up to DRAIN_BYTES
    endless = chunked_post(local_runner.url, "/v1/jobs", repeat(b"x" * 65536, 400_000_000), token=local_runner.token)
    assert endless.status == 413 and endless.sent < DRAIN_BYTES + 40_000_000, endless.sent
    spec = {"kind": "pretrain", "spec": {"s2": ["/tmp/" + "d" * 2000 + f"/{S2}"] * 2000, "out_model": "m"}}
    body = json.dumps(spec).encode()
    assert len(body) > 4_000_000
    answer = chunked_post(local_runner.url, "/v1/jobs", [body[i:i + 65536] for i in range(0, len(body), 65536)],
                          token=local_runner.token)
    assert answer.status == 413
    assert declared_post(local_runner.url, "/v1/jobs", len(body), local_runner.token).status == 413
    with local_runner.client() as c:
        assert c.get("/v1/health").status_code == 200
    # without the token nothing is read at all
    anon = chunked_post(local_runner.url, "/v1/jobs", repeat(b"x" * 65536, 5_000_000))
    assert anon.status == 401


def test_uploads_have_their_own_limit_and_are_streamed(remote_runner) -> None:
    """`--max-upload-mb 2`: a chunked 6 MB upload is cut off at 2 MB with 413 and leaves no file; 1 MB is stored."""
    uploads = remote_runner.home / "uploads"
    before = set(uploads.rglob("*"))
    big = chunked_post(remote_runner.url, "/v1/files?name=big.tif", repeat(b"\1" * 65536, 6_000_000),
                       token=remote_runner.token, content_type="application/octet-stream")
    assert big.status == 413 and b"big.tif" in big.body, big
    time.sleep(0.5)
    assert set(uploads.rglob("*")) == before, "a refused upload left files behind"
    ok = chunked_post(remote_runner.url, "/v1/files?name=ok.tif", repeat(b"\2" * 65536, 1_000_000),
                      token=remote_runner.token, content_type="application/octet-stream")
    assert ok.status == 201, ok
    stored = Path(json.loads(ok.body)["path"])
    assert stored.stat().st_size == 1_000_000
    with remote_runner.client() as c:  # above the JSON limit but under the upload limit: uploads are apart
        r = c.post("/v1/files", params={"name": "mid.tif"}, content=b"\3" * 1_500_000)
        assert r.status_code == 201 and r.json()["size"] == 1_500_000
    declared = declared_post(remote_runner.url, "/v1/files?name=declared.tif", 3_000_000, remote_runner.token)
    assert declared.status == 413 and b"Content-Length 3000000" in declared.body


def test_memory_stays_flat_under_a_chunked_flood(local_runner) -> None:
    """24 clients, 8 at a time, each sending 40 MB chunked (960 MB in all): the runner's RSS must not follow."""
    proc = psutil.Process(local_runner.proc.pid)
    with local_runner.client() as c:  # warm up the routes once
        for _ in range(3):
            c.post("/v1/jobs", content=b"{", headers={"Content-Type": "application/json"})
    baseline = proc.memory_info().rss
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    def flood(i: int):
        token = local_runner.token if i % 3 else None  # every third without the token
        return chunked_post(local_runner.url, "/v1/jobs", repeat(bytes([65 + i % 26]) * 65536, 40_000_000),
                            token=token)

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(flood, range(24)))
    finally:
        stop.set()
        sampler.join()
    growth_mb = (peak[0] - baseline) / 1e6
    print(f"\nRSS baseline {baseline / 1e6:.1f} MB, peak {peak[0] / 1e6:.1f} MB, growth {growth_mb:.1f} MB; "
          f"client sent {sum(a.sent for a in answers) / 1e6:.1f} MB of 960 MB")
    assert [a.status for a in answers] == [401 if i % 3 == 0 else 413 for i in range(24)]
    assert growth_mb < 50, f"RSS grew by {growth_mb:.1f} MB under a bounded chunked flood"
    with local_runner.client() as c:
        assert c.get("/v1/health").status_code == 200


# -- concurrency ------------------------------------------------------------------------------------------------------
def test_concurrent_attacks_are_each_refused(remote_runner, roots) -> None:
    """50 escaping specs, 50 downloads of private files and 20 oversized bodies at once: every one refused, the
    runner still answers."""
    def escape(i: int) -> int:
        with remote_runner.client() as c:
            return c.post("/v1/jobs", json=classify(str(roots["write"]) + "/.." * 12 + f"/tmp/x{i}.tif",
                                                    s2=[str(roots["read"] / S2)])).status_code

    def steal(i: int) -> int:
        target = ["/etc/passwd", str(remote_runner.home / "runner.json"), str(roots["outside"] / "secret.txt")][i % 3]
        with remote_runner.client() as c:
            return c.get("/v1/files", params={"path": target}).status_code

    def oversized(_: int) -> int | None:
        return chunked_post(remote_runner.url, "/v1/jobs", repeat(b"y" * 65536, 8_000_000),
                            token=remote_runner.token).status

    with ThreadPoolExecutor(max_workers=24) as pool:
        a = [pool.submit(escape, i) for i in range(50)]
        b = [pool.submit(steal, i) for i in range(50)]
        d = [pool.submit(oversized, i) for i in range(20)]
        codes = ([f.result(timeout=120) for f in a], [f.result(timeout=120) for f in b],
                 [f.result(timeout=120) for f in d])
    assert set(codes[0]) == {403} and set(codes[1]) == {403} and set(codes[2]) == {413}, codes
    with remote_runner.client() as c:
        assert c.get("/v1/health").status_code == 200


def test_wrong_tokens_are_refused_before_anything_is_read(remote_runner) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer"},
                    {"Authorization": f"Basic {remote_runner.token}"}, {"Authorization": remote_runner.token}):
        with httpx.Client(base_url=remote_runner.url, headers=headers, timeout=30) as c:
            for method, path in (("GET", "/v1/files?path=/etc/passwd"), ("POST", "/v1/files?name=a.tif"),
                                 ("GET", "/v1/health"), ("POST", "/v1/jobs"), ("DELETE", "/v1/jobs/x/checkpoints")):
                r = c.request(method, path, content=b"{}" if method == "POST" else None)
                assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", (headers, path)
        with httpx.Client(base_url=remote_runner.url, timeout=30) as c:
            assert c.get("/v1/health", params={"token": remote_runner.token}).status_code == 401


def test_the_plugin_adds_its_output_folders_as_write_roots(tmp_path, roots) -> None:
    """A folder outside the default roots becomes writable only through the plugin: from its settings when it
    starts the runner, or by restarting the idle runner it started when a class map is to be saved there."""
    import sys
    import tempfile

    from omnisat_qgis.client import RunnerError
    from omnisat_qgis.runner_manager import RunnerManager

    outputs = Path("/var/tmp") / f"omnisat-sec-{os.getpid()}"  # outside the home, /tmp and the start folder
    defaults = [Path.home().resolve(), Path(tempfile.gettempdir()).resolve(), Path(tmp_path / "home").resolve()]
    if not os.access("/var/tmp", os.W_OK) or any(outputs.resolve().is_relative_to(d) for d in defaults):
        pytest.skip("/var/tmp is not writable here or lies inside a default root")
    outputs.mkdir(exist_ok=True)
    job = {"s2": [str(roots["read"] / S2)], "model": "nonexistent", "out": str(outputs / "map.tif")}
    try:
        plain = RunnerManager(python=sys.executable, home=tmp_path / "home")
        try:
            client = plain.client()
            assert str(outputs.resolve()) not in client.health()["access"]["write_roots"]
            with pytest.raises(RunnerError) as refused:
                client.submit("classify", job)
            assert refused.value.status == 403 and "spec.out:" in refused.value.message
            restarted = plain.allow_writes_to(outputs)
            assert restarted.url != client.url or restarted.token != client.token
            assert str(outputs.resolve()) in restarted.health()["access"]["write_roots"]
            assert restarted.submit("classify", job)["state"] in ("queued", "running", "failed")
        finally:
            plain.stop()
        configured = RunnerManager(python=sys.executable, home=tmp_path / "home2", output_roots=[str(outputs)])
        try:
            assert str(outputs.resolve()) in configured.client().health()["access"]["write_roots"]
        finally:
            configured.stop()
        with pytest.raises(RunnerError, match="started elsewhere"):
            RunnerManager(python=sys.executable, home=tmp_path / "home3").allow_writes_to(outputs)
    finally:
        for p in outputs.glob("*"):
            p.unlink()
        outputs.rmdir()


def test_a_queued_job_obeys_the_roots_of_the_runner_that_runs_it(runner_home, roots, tmp_path) -> None:
    """Roots are checked again when a job starts: a job left in the queue by a local runner does not get to write
    outside the roots of the runner for others started on the same home afterwards."""
    from runner.jobs.store import JobStore

    store = JobStore(runner_home / "jobs.sqlite")
    job = store.create("classify", {"s2": [str(roots["read"] / S2)], "model": "nonexistent",
                                    "out": str(tmp_path / "x.tif")})
    store.close()
    runner = start_runner(runner_home, "--allow-remote", "--read-root", str(roots["read"]), "--write-root",
                          str(roots["write"]))
    try:
        with runner.client() as c:
            done = wait_state(c, job["id"], {"failed", "done", "cancelled"})
        assert done["state"] == "failed" and "refused by this runner's roots" in done["message"], done
        assert "spec.out" in done["message"]
    finally:
        runner.stop()
