"""HTTP/1.1 by hand over a socket, for what httpx will not send: chunked bodies that a server may refuse midway.

The sender checks before each chunk whether the server has answered already and stops sending then, so a 413
sent while the body is still arriving is read instead of being lost to the connection reset that follows.
"""

from __future__ import annotations

import select
import socket
import ssl
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
                 content_type: str = "application/json", timeout: float = 60,
                 tls: ssl.SSLContext | None = None) -> RawAnswer:
    """POST `chunks` with `Transfer-Encoding: chunked` (no Content-Length) and read the answer; `url` may carry a
    path prefix (a reverse proxy's location), and https needs `tls`."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    if parts.scheme == "https":
        sock = (tls or ssl.create_default_context()).wrap_socket(sock, server_hostname=parts.hostname)
    path = parts.path.rstrip("/") + path
    try:
        head = [f"POST {path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", f"Content-Type: {content_type}",
                "Transfer-Encoding: chunked"]
        if token is not None:
            head.append(f"Authorization: Bearer {token}")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sent = 0
        early: list[bytes] = []
        try:
            for chunk in chunks:
                if _answered(sock, early):
                    break  # the server answered before the end of the body
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            else:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        return RawAnswer(*_read_answer(sock, b"".join(early)), sent)
    finally:
        sock.close()


def _answered(sock: socket.socket, early: list[bytes]) -> bool:
    """Whether the server has sent something (kept in `early`) or closed; TLS records that carry no data (session
    tickets after the handshake) do not count."""
    if not select.select([sock], [], [], 0)[0]:
        return False
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        got = sock.recv(65536)
    except (ssl.SSLWantReadError, BlockingIOError):
        return False
    except (ConnectionResetError, ssl.SSLError):
        return True
    finally:
        sock.settimeout(timeout)
    early.append(got)
    return True


def _read_answer(sock: socket.socket, data: bytes = b"") -> tuple[int | None, bytes]:
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
    except (ConnectionResetError, TimeoutError, ssl.SSLError):
        pass
    if not data.startswith(b"HTTP/1.1 "):
        return None, data
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), rest


def declared_post(url: str, path: str, length: int, token: str | None = None, timeout: float = 60) -> RawAnswer:
    """POST headers announcing `Content-Length: length` and no body yet: a server that checks the declared size
    answers at once (httpx would send the whole body first and may meet a reset instead of the answer)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        head = [f"POST {parts.path.rstrip('/') + path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}",
                "Content-Type: application/octet-stream", f"Content-Length: {length}"]
        if token is not None:
            head.append(f"Authorization: Bearer {token}")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        return RawAnswer(*_read_answer(sock), 0)
