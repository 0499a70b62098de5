"""HTTP/1.1 by hand over a socket, for what httpx will not send: chunked bodies that a server may refuse midway.

The sender checks before each chunk whether the server has answered already and stops sending then, so a 413
sent while the body is still arriving is read instead of being lost to the connection reset that follows.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class RawAnswer:
    status: int | None      # None: the connection closed without an answer
    body: bytes
    sent: int               # body bytes the client managed to send


def repeat(chunk: bytes, total: int) -> Iterable[bytes]:
    sent = 0
    while sent < total:
        yield chunk[: total - sent]
        sent += len(chunk)


def chunked_post(url: str, path: str, chunks: Iterable[bytes], token: str | None = None,
                 content_type: str = "application/json", timeout: float = 60) -> RawAnswer:
    """POST `chunks` with `Transfer-Encoding: chunked` (no Content-Length) and read the answer."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    try:
        head = [f"POST {path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", f"Content-Type: {content_type}",
                "Transfer-Encoding: chunked"]
        if token is not None:
            head.append(f"Authorization: Bearer {token}")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sent = 0
        try:
            for chunk in chunks:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server answered before the end of the body
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            else:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        return RawAnswer(*_read_answer(sock), sent)
    finally:
        sock.close()


def _read_answer(sock: socket.socket) -> tuple[int | None, bytes]:
    data = b""
    try:
        while True:
            if b"\r\n\r\n" in data:
                head, _, rest = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                               if line.lower().startswith(b"content-length:")), None)
                if length is not None and len(rest) >= length:
                    break
            got = sock.recv(65536)
            if not got:
                break
            data += got
    except (ConnectionResetError, TimeoutError):
        pass
    if not data.startswith(b"HTTP/1.1 "):
        return None, data
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), rest
