"""The runner's upload/download routes, in-process against a real app with the real token dependency."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from runner.api.auth import make_require_token
from runner.api.files import make_files_router
from runner.errors import InputError
from runner.uploads import sanitise_name, servable

TOKEN = "t0ken-for-tests"


WRITTEN: set[str] = set()  # what a finished job recorded (the job store in the real app)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    WRITTEN.clear()
    app = FastAPI()
    app.include_router(make_files_router(make_require_token(TOKEN), home=tmp_path / "home", max_bytes=100_000,
                                         written=WRITTEN.__contains__))
    return TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})


def _chunks(total: int, size: int = 8192):
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield bytes([sent % 251]) * n
        sent += n


def test_streamed_upload_then_download(client: TestClient, tmp_path: Path) -> None:
    body = b"".join(_chunks(50_000))
    r = client.post("/v1/files", params={"name": "../../S2 2021-05-03 é.tif"}, content=_chunks(50_000))
    assert r.status_code == 201, r.text
    stored = Path(r.json()["path"])
    assert stored.parent.parent == tmp_path / "home" / "uploads" and stored.name == "S2_2021-05-03_e.tif"
    assert stored.read_bytes() == body and r.json()["size"] == 50_000
    side = client.post("/v1/files", params={"name": "S2 2021-05-03 é.tif.aux.xml", "folder": r.json()["id"]},
                       content=b"<PAMDataset/>")
    assert Path(side.json()["path"]).parent == stored.parent
    # an upload is not a job result: it is not served back
    assert client.get("/v1/files", params={"path": str(stored)}).status_code == 403
    WRITTEN.add(str(stored.resolve()))  # as if a finished job had written it
    down = client.get("/v1/files", params={"path": str(stored)})
    assert down.status_code == 200 and down.content == body


def test_oversized_upload_refused_and_nothing_left(client: TestClient, tmp_path: Path) -> None:
    r = client.post("/v1/files", params={"name": "big.tif"}, content=_chunks(150_000))
    assert r.status_code == 413 and "big.tif" in r.json()["detail"]
    assert not any(p.is_file() for p in (tmp_path / "home" / "uploads").rglob("*"))


def test_downloads_limited_to_job_results(client: TestClient, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "outputs" / "o1").mkdir(parents=True)
    (home / "runner.json").write_text('{"token": "x"}')
    (home / "models").mkdir()
    (home / "models" / "card.json").write_text("{}")
    (tmp_path / "outside.txt").write_text("secret")
    (home / "outputs" / "o1" / "map.tif").write_bytes(b"1")
    link = home / "outputs" / "o1" / "link.txt"
    link.symlink_to(tmp_path / "outside.txt")
    result = tmp_path / "elsewhere" / "map.tif"
    result.parent.mkdir()
    result.write_bytes(b"2")
    WRITTEN.add(str(result.resolve()))
    WRITTEN.add(str((tmp_path / "gone.tif").resolve()))  # a result deleted since
    for path, code in ((str(tmp_path / "outside.txt"), 403), ("/etc/passwd", 403), (str(link), 403),
                       (str(home / "runner.json"), 403), (str(home / "models" / "card.json"), 403),
                       (str(home / "outputs" / "o1" / "nope.tif"), 404), (str(tmp_path / "gone.tif"), 404),
                       (str(home / "outputs" / "o1" / ".." / ".." / ".." / "outside.txt"), 403),
                       (str(home / "outputs" / "o1" / "map.tif"), 200), (str(result), 200),
                       (str(result.parent / ".." / "elsewhere" / "map.tif"), 200)):
        assert client.get("/v1/files", params={"path": path}).status_code == code, path
    assert client.post("/v1/files", params={"name": "a.tif", "folder": "../x"}, content=b"1").status_code == 404


def test_token_required(client: TestClient) -> None:
    r = client.post("/v1/files", params={"name": "a.tif"}, content=b"123", headers={"Authorization": "Bearer no"})
    assert r.status_code == 401


def test_output_folder_and_helpers(client: TestClient, tmp_path: Path) -> None:
    out = Path(client.post("/v1/files/outdir").json()["path"])
    assert out.is_dir() and out.parent == tmp_path / "home" / "outputs"
    with pytest.raises(InputError, match="no usable characters"):
        sanitise_name("../..")
    assert len(sanitise_name("x" * 300 + ".tif")) == 120 and sanitise_name("x" * 300 + ".tif").endswith(".tif")
    (tmp_path / "job-out").mkdir()
    (tmp_path / "job-out" / "map.tif").write_bytes(b"1")
    assert servable(str(tmp_path / "job-out" / "map.tif"), tmp_path / "home", None, [tmp_path / "job-out"]).is_file()
    with pytest.raises(PermissionError, match="not written by a finished job"):
        servable(str(tmp_path / "job-out"), tmp_path / "home", None, [tmp_path / "job-out"])
