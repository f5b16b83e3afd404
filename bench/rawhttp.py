"""A lean HTTP/1.1 load generator for latency: N keep-alive connections, each sending one GET
after another, timing every response. Plain asyncio streams, requests pre-encoded, so the
client costs far less per request than httpx and the server, not the client, sets the latency.
"""

from __future__ import annotations

import asyncio
import time


async def _connection(host: str, port: int, request: bytes, n: int, latencies: list) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for _ in range(n):
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12]
            length = None
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length is None:
                raise RuntimeError(f"no Content-Length in {head[:200]!r}")
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if status != b"200":
                raise RuntimeError(f"status {status!r}")
    finally:
        writer.close()


async def hammer(host: str, port: int, path: str, connections: int, requests: int) -> list[float]:
    """`requests` GETs of `path` spread over `connections` connections; latencies in seconds."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: */*\r\n\r\n".encode()
    latencies: list[float] = []
    per = max(1, requests // connections)
    await asyncio.gather(*(_connection(host, port, request, per, latencies) for _ in range(connections)))
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
