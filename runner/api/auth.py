"""Bearer-token check for every endpoint, compared in constant time.

Checked twice: by `TokenGate`, an ASGI middleware that answers 401 before a single body byte is read (so a client
without the token cannot make the runner buffer a request body), and by the FastAPI dependency on every route
(so a route mounted some other way is never open).
"""

from __future__ import annotations

import hmac
import json

from fastapi import HTTPException, Request, status
from starlette.types import ASGIApp, Receive, Scope, Send

from runner.api.body_limit import drain

UNAUTHENTICATED_DRAIN_BYTES = 1_000_000
UNAUTHORIZED = "missing or wrong token: send 'Authorization: Bearer <token>' from the runner state file"


def token_matches(header: str, expected: bytes) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


def make_require_token(token: str):
    """Build the FastAPI dependency that refuses any request without `Authorization: Bearer <token>`."""
    expected = token.encode()

    def require_token(request: Request) -> None:
        if not token_matches(request.headers.get("authorization", ""), expected):
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail=UNAUTHORIZED,
                headers={"WWW-Authenticate": "Bearer"},
            )

    return require_token


class TokenGate:
    """Pure ASGI middleware: 401 for an HTTP request without the token, before its body is read."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"authorization"), "")
            if not token_matches(header, self.expected):
                # a small body is read and dropped first, so a proxy still sending it gets the 401, not a reset
                await drain(receive, budget=UNAUTHENTICATED_DRAIN_BYTES, seconds=2.0)
                body = json.dumps({"detail": UNAUTHORIZED}).encode()
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode()),
                                        (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
