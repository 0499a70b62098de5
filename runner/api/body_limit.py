"""Request body size, enforced while the body is read, for every transfer encoding.

Why at the ASGI level: a `Content-Length` check alone lets a chunked body (no length announced) through, and the
JSON routes read their whole body into memory before parsing it, so a large chunked request could exhaust memory.
Here every `http.request` message is counted as it arrives and the route gets no byte past the limit: the answer
is 413. The rest of the body, up to `DRAIN_BYTES` more, is read and thrown away first (a "lingering close", as
nginx and Apache do): a server that closes a socket with unread data in it resets the connection, and a reverse
proxy still sending the body then loses the 413 and answers 502 instead. Beyond that the connection is closed.
Memory stays flat either way: discarded chunks are never kept. Uploads (`POST /v1/files`) have their own, larger
limit and are streamed to disk by their route as they arrive.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UPLOAD_PATH = "/v1/files"
DRAIN_BYTES = 64 * 1024 * 1024   # read and discarded past a limit so the 413 is not lost to a reset
DRAIN_SECONDS = 10.0


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


async def drain(receive: Receive, budget: int = DRAIN_BYTES, seconds: float = DRAIN_SECONDS) -> bool:
    """Read and discard the rest of a body, at most `budget` bytes for `seconds`; True if it all came."""
    async def run() -> bool:
        read = 0
        while read <= budget:
            message = await receive()
            if message["type"] != "http.request":
                return True  # the client went away
            read += len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
        return False

    try:
        return await asyncio.wait_for(run(), seconds)
    except asyncio.TimeoutError:
        return False


async def _answer_413(send: Send, detail: str, close: bool) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413,
                "headers": headers + ([(b"connection", b"close")] if close else [])})
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
            small = declared.strip().isdigit() and int(declared) <= DRAIN_BYTES
            complete = small and await drain(receive)
            await _answer_413(send, f"{what} larger than the limit of {limit} bytes (Content-Length {declared[:20]})",
                              close=not complete)
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
                    if message.get("more_body", False):
                        await drain(receive)
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
            await _answer_413(send, str(err.detail), close=True)
