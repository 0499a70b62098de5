"""The runner's HTTP application: routes over the job store, the worker and the model store.

Big data never crosses this API: requests carry file paths, an extent and options; results come back as paths.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.base import BaseHTTPMiddleware

from runner import PROTOCOL_VERSION, __version__
from runner.api.auth import make_require_token
from runner.config import Limits, RunnerPaths
from runner.errors import InputError
from runner.jobs.store import JobStore
from runner.jobs.worker import Worker
from runner.specs import check_model_name, parse_spec

log = logging.getLogger("runner.api")


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["pretrain", "finetune", "classify", "selftest"]
    spec: dict[str, Any] = Field(default_factory=dict)


class BodySizeLimit(BaseHTTPMiddleware):
    """Refuse oversized bodies before reading them (uploads have their own streamed route and limit)."""

    def __init__(self, app, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def dispatch(self, request: Request, call_next):
        if not request.url.path.startswith("/v1/files"):
            length = request.headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
                return JSONResponse({"detail": f"request body larger than {self.max_bytes} bytes"}, status_code=413)
        return await call_next(request)


def create_app(paths: RunnerPaths, token: str, store: JobStore, worker: Worker, device_info: dict[str, Any],
               limits: Limits | None = None, path_access: bool = True) -> FastAPI:
    limits = limits or Limits()
    require_token = make_require_token(token)
    app = FastAPI(title="OmniSat runner", version=__version__, dependencies=[Depends(require_token)],
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_request_bytes)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {e.get('msg', 'invalid')}" if loc else e.get("msg", "invalid"))
        return JSONResponse({"detail": "; ".join(parts)}, status_code=422)

    @app.get("/v1/openapi.json", include_in_schema=False)
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"protocol": PROTOCOL_VERSION, "runner_version": __version__, "path_access": path_access,
                "busy": worker.busy, **device_info}

    # -- jobs ---------------------------------------------------------------------------------------
    @app.post("/v1/jobs", status_code=201)
    def create_job(req: JobRequest) -> dict[str, Any]:
        try:
            spec = parse_spec(req.kind, req.spec)
        except InputError as err:
            raise HTTPException(422, str(err)) from None
        if not path_access and req.kind != "selftest":
            _check_uploaded_paths(spec.model_dump(), paths)
        job = store.create(req.kind, spec.model_dump(mode="json"))
        worker.notify()
        return job

    @app.get("/v1/jobs")
    def list_jobs(limit: int = 100) -> list[dict[str, Any]]:
        return store.list(min(max(limit, 1), limits.max_jobs_listed))

    def _job_or_404(job_id: str) -> dict[str, Any]:
        job = store.get(job_id) if len(job_id) <= 64 else None
        if job is None:
            raise HTTPException(404, f"job {job_id!r} not found")
        return job

    @app.get("/v1/jobs/{job_id}")
    def get_job(job_id: str) -> dict[str, Any]:
        return _job_or_404(job_id)

    @app.post("/v1/jobs/{job_id}/cancel")
    def cancel_job(job_id: str) -> dict[str, Any]:
        _job_or_404(job_id)
        store.request_cancel(job_id)
        worker.cancel(job_id)
        return _job_or_404(job_id)

    @app.post("/v1/jobs/{job_id}/resume")
    def resume_job(job_id: str) -> dict[str, Any]:
        job = _job_or_404(job_id)
        if job["state"] not in ("interrupted", "failed"):
            raise HTTPException(409, f"job {job_id} is {job['state']}; only interrupted or failed jobs resume")
        store.requeue(job_id)
        worker.notify()
        return _job_or_404(job_id)

    @app.get("/v1/jobs/{job_id}/events")
    def job_events(job_id: str, after: int = 0) -> list[dict[str, Any]]:
        _job_or_404(job_id)
        return store.events(job_id, after=max(after, 0))

    # -- models -------------------------------------------------------------------------------------
    def model_store():
        from runner import model_store as store  # imported on use: keeps start-up light

        return store

    def _name_or_422(name: str) -> str:
        try:
            return check_model_name(name)
        except ValueError as err:
            raise HTTPException(422, str(err)) from None

    @app.get("/v1/models")
    def list_models() -> list[dict[str, Any]]:
        return model_store().list_models(paths.home)

    @app.get("/v1/models/{name}")
    def get_model(name: str) -> dict[str, Any]:
        try:
            return model_store().get_card(paths.home, _name_or_422(name))
        except InputError as err:
            raise HTTPException(404, str(err)) from None

    @app.delete("/v1/models/{name}", status_code=204)
    def delete_model(name: str) -> Response:
        try:
            model_store().delete_model(paths.home, _name_or_422(name))
        except InputError as err:
            raise HTTPException(404, str(err)) from None
        return Response(status_code=204)

    _include_files_router(app, paths, require_token, limits, store)
    return app


def _include_files_router(app: FastAPI, paths: RunnerPaths, require_token, limits: Limits,
                          store: JobStore) -> None:
    """Uploads/downloads for a remote runner that cannot read the user's paths; downloads are limited to the
    runner home and the output folders that jobs declared."""
    from runner.api.files import make_files_router

    def output_roots() -> list[Path]:
        return [Path(j["spec"]["out"]).parent for j in store.list() if j["spec"].get("out")]

    app.include_router(make_files_router(require_token, home=paths.home, max_bytes=limits.max_upload_bytes,
                                         output_roots=output_roots))


def _check_uploaded_paths(spec: dict[str, Any], paths: RunnerPaths) -> None:
    """Without path access the runner only reads what was uploaded to it and writes under its home."""
    uploads = paths.uploads.resolve()
    candidates: list[str] = []
    for key in ("aerial", "labels"):
        if spec.get(key):
            candidates.append(spec[key])
    for key in ("s1", "s2", "s2_masks"):
        candidates.extend(spec.get(key) or [])
    for p in candidates:
        if not Path(p).resolve().is_relative_to(uploads):
            raise HTTPException(403, f"path {p!r} is not an upload: this runner only reads files uploaded to it")
    out = spec.get("out")
    if out and not Path(out).resolve().is_relative_to(paths.home.resolve()):
        raise HTTPException(403, f"out {out!r} is outside the runner home: this runner writes only under its home")
