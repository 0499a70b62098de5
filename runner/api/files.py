"""Upload and download routes for a remote runner that cannot read the user's paths.

    POST /v1/files?name=scene.tif   body = the raw file bytes (streamed)   → 201 {id, path, size}
    POST /v1/files/outdir                                                  → 201 {id, path}
    GET  /v1/files?path=...                                                → the file (streamed), if a
                                                                             finished job wrote it

Uploads are streamed to disk in chunks as they arrive (never held in memory), counted against the size limit,
written under a temporary name and renamed when complete: an interrupted upload leaves no file that looks whole.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse

from runner.api.body_limit import BodyTooLarge
from runner.config import Limits, RunnerPaths, default_home
from runner.errors import InputError
from runner.uploads import is_upload_id, new_upload_dir, partial_path, sanitise_name, servable


def make_files_router(require_token, home: Path | None = None, max_bytes: int | None = None,
                      written: Callable[[str], bool] | None = None) -> APIRouter:
    """The files router; `require_token` is the app's bearer-token dependency (applied to every route);
    `written(resolved path)` says whether a finished job wrote that file (the job store keeps the list)."""
    paths = RunnerPaths(Path(home) if home is not None else default_home())
    limit = Limits().max_upload_bytes if max_bytes is None else max_bytes
    router = APIRouter(dependencies=[Depends(require_token)])

    @router.post("/v1/files", status_code=201)
    async def upload(request: Request, name: str, folder: str | None = None) -> dict[str, Any]:
        """`folder` = the id of an earlier upload: sidecar files (.shx, .dbf, .prj) must sit beside their .shp."""
        try:
            clean = sanitise_name(name)
        except InputError as err:
            raise HTTPException(422, str(err)) from None
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise HTTPException(413, f"{clean}: {int(declared)} bytes is over the upload limit of {limit} bytes")
        paths.uploads.mkdir(parents=True, exist_ok=True)
        if folder is None:
            upload_id, where = new_upload_dir(paths.uploads)
            created = True
        else:
            if not is_upload_id(folder) or not (paths.uploads / folder).is_dir():
                raise HTTPException(404, f"upload folder {folder!r} not found")
            upload_id, where, created = folder, paths.uploads / folder, False
        target = where / clean
        if target.exists():
            raise HTTPException(409, f"{clean} was already uploaded to folder {upload_id}")
        part = partial_path(target)
        size = 0
        try:
            with open(part, "wb") as f:
                try:
                    async for chunk in request.stream():
                        size += len(chunk)
                        if size > limit:
                            raise HTTPException(413, f"{clean}: more than the upload limit of {limit} bytes")
                        f.write(chunk)
                except BodyTooLarge as err:  # the app's size limit, counted as the bytes arrive
                    raise HTTPException(413, f"{clean}: more than the upload limit of {err.limit} bytes") from None
            if declared is not None and declared.isdigit() and size != int(declared):
                raise HTTPException(400, f"{clean}: received {size} of {declared} bytes (connection cut?)")
            os.replace(part, target)
        except BaseException:
            if created:
                shutil.rmtree(where, ignore_errors=True)
            else:
                part.unlink(missing_ok=True)
            raise
        return {"id": upload_id, "path": str(target), "size": size}

    @router.post("/v1/files/outdir", status_code=201)
    def output_folder() -> dict[str, Any]:
        """A fresh folder under the home for a job's outputs (a remote runner writes only under its home)."""
        outputs = paths.home / "outputs"
        outputs.mkdir(parents=True, exist_ok=True)
        out_id, folder = new_upload_dir(outputs)
        return {"id": out_id, "path": str(folder)}

    @router.get("/v1/files")
    def download(path: str) -> FileResponse:
        """Only files a finished job wrote (or in a runner-made output folder): never any other file."""
        try:
            resolved = servable(path, paths.home, written, [paths.home / "outputs"])
        except PermissionError as err:
            raise HTTPException(403, str(err)) from None
        except FileNotFoundError as err:
            raise HTTPException(404, str(err)) from None
        return FileResponse(resolved, filename=resolved.name, media_type="application/octet-stream")

    return router
