"""Request body size, enforced while the body is read, for every transfer encoding.

Why at the ASGI level: a `Content-Length` check alone lets a chunked body (no length announced) through, and the
JSON routes read their whole body into memory before parsing it, so a large chunked request could exhaust memory.
Here every `http.request` message is counted as it arrives and reading stops at the limit: the answer is 413 and
the rest of the body is never read (uvicorn applies back-pressure, so the unread part stays in the client's
socket, not in our memory). Uploads (`POST /v1/files`) have their own, larger limit and are streamed to disk by
their route as they arrive.
"""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UPLOAD_PATH = "/v1/files"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a body passes its limit; FastAPI answers it 413 like any HTTPException."""

    def __init__(self, limit: int, what: str) -> None:
        super().__init__(413, f"{what} larger than the limit of {limit} bytes")
        self.limit = limit


def _limit_for(scope: Scope, max_bytes: int, max_upload_bytes: int) -> tuple[int, str]:
    if scope.get("method") == "POST" and scope.get("path") == UPLOAD_PATH:
        return max_upload_bytes, "upload"
    return max_bytes, "request body"


def _content_length(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return value.decode("latin-1")
    return None


async def _answer_413(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Pure ASGI middleware: 413 for a declared or an actual body over the limit of its route."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, what = _limit_for(scope, self.max_bytes, self.max_upload_bytes)
        declared = _content_length(scope)
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            await _answer_413(send, f"{what} larger than the limit of {limit} bytes (Content-Length {declared[:20]})")
            return
        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:  # never read further once over: the rest stays in the client's socket
                raise BodyTooLarge(limit, what)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit, what)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge as err:  # a route that read the body outside FastAPI's handling of HTTPException
            if started:
                raise
            await _answer_413(send, str(err.detail))
