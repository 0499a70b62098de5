"""The runner's HTTP application: routes over the job store, the worker and the model store.

Big data never crosses this API: requests carry file paths, an extent and options; results come back as paths.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from runner import PROTOCOL_VERSION, __version__
from runner.api.access import AccessDenied, AccessPolicy
from runner.api.auth import TokenGate, make_require_token
from runner.api.body_limit import BodySizeLimit
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


def create_app(paths: RunnerPaths, token: str, store: JobStore, worker: Worker, device_info: dict[str, Any],
               limits: Limits | None = None, path_access: bool = True, access: AccessPolicy | None = None) -> FastAPI:
    """The app; `access` is the operator's read/write policy (default: local, or uploads only without
    `path_access`)."""
    limits = limits or Limits()
    if access is None:
        access = AccessPolicy.local(paths.home) if path_access else AccessPolicy.remote(paths.home, uploads_only=True)
    require_token = make_require_token(token)
    app = FastAPI(title="OmniSat runner", version=__version__, dependencies=[Depends(require_token)],
                  docs_url=None, redoc_url=None, openapi_url=None)
    # the last added runs first: the token before any body byte is read, then the size limit while reading
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_request_bytes, max_upload_bytes=limits.max_upload_bytes)
    app.add_middleware(TokenGate, token=token)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_validation_errors(exc)}, status_code=422)

    @app.get("/v1/openapi.json", include_in_schema=False)
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"protocol": PROTOCOL_VERSION, "runner_version": __version__, "path_access": access.path_access,
                "access": access.describe(), "busy": worker.busy, **device_info}

    # -- jobs ---------------------------------------------------------------------------------------
    @app.post("/v1/jobs", status_code=201)
    def create_job(req: JobRequest) -> dict[str, Any]:
        try:
            spec = parse_spec(req.kind, req.spec)
        except InputError as err:
            raise HTTPException(422, str(err)) from None
        if req.kind != "selftest":
            try:
                access.check_spec(spec.model_dump())
            except AccessDenied as err:
                raise HTTPException(403, str(err)) from None
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

    @app.delete("/v1/jobs/{job_id}/checkpoints", status_code=204)
    def delete_checkpoints(job_id: str) -> Response:
        """Free the space an interrupted or failed job keeps for resuming (it then resumes from the start)."""
        job = _job_or_404(job_id)
        if job["state"] in ("queued", "running"):
            raise HTTPException(409, f"job {job_id} is {job['state']}; its checkpoints are in use")
        store.remove_work(job_id)
        return Response(status_code=204)

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
    files finished jobs wrote (recorded by the job store), never what a spec merely named."""
    from runner.api.files import make_files_router

    app.include_router(make_files_router(require_token, home=paths.home, max_bytes=limits.max_upload_bytes,
                                         written=store.wrote))


def describe_validation_errors(exc: RequestValidationError) -> str:
    """Validation errors in plain words: the field at fault, or where the JSON body broke."""
    parts = []
    for e in exc.errors():
        if e.get("type") == "json_invalid":
            parts.append(_json_error(e, exc.body))
            continue
        loc = [str(x) for x in e.get("loc", ()) if x != "body"]
        msg = e.get("msg", "invalid")
        if not loc and e.get("type") == "missing":
            parts.append("the request body is missing: send a JSON object")
        elif not loc:
            parts.append(f"the request body: {msg}")
        else:
            parts.append(f"{'.'.join(loc)}: {msg}")
    return "; ".join(parts)


def _json_error(error: dict[str, Any], body: Any) -> str:
    """`the request body is not valid JSON: Expecting ',' delimiter at line 1 column 12`."""
    reason = (error.get("ctx") or {}).get("error") or "malformed"
    loc = error.get("loc", ())
    pos = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    if pos is None:
        return f"the request body is not valid JSON: {reason}"
    doc = body.decode("utf-8", "replace") if isinstance(body, bytes) else body if isinstance(body, str) else None
    if doc is None:
        return f"the request body is not valid JSON: {reason} at character {pos + 1}"
    line = doc.count("\n", 0, pos) + 1
    column = pos - doc.rfind("\n", 0, pos)
    return f"the request body is not valid JSON: {reason} at line {line} column {column}"
