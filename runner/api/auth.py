"""Bearer-token check for every endpoint, compared in constant time."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, status


def make_require_token(token: str):
    """Build the FastAPI dependency that refuses any request without `Authorization: Bearer <token>`."""
    expected = token.encode()

    def require_token(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="missing or wrong token: send 'Authorization: Bearer <token>' from the runner state file",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return require_token
