"""A blocking HTTP/1.1 exchange over a raw socket, for tests that need the connection itself
(keep-alive, pipelining, 100 Continue, HEAD): what httpx would hide."""

from __future__ import annotations

import socket


def connect(port: int, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_response(conn: socket.socket, buffered: bytes = b"", head_only: bool = False) -> tuple[bytes, bytes, bytes]:
    """(head, body, what was read past them): the head up to its blank line, then the body by
    Content-Length (none for `head_only`, as after a HEAD)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, f"connection closed after {data[:200]!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    if head_only:
        return head, b"", rest
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                  if line.lower().startswith(b"content-length:"))
    while len(rest) < length:
        chunk = conn.recv(65536)
        assert chunk, "connection closed mid-body"
        rest += chunk
    return head, rest[:length], rest[length:]
