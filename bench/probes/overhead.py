"""What govsignin adds to a static document, over a bare ASGI app sending the same bytes.

    .venv/bin/python -m bench.probes.overhead                   # JWKS, 15 rounds of 25,600 requests
    .venv/bin/python -m bench.probes.overhead --path /.well-known/openid-configuration
    .venv/bin/python -m bench.probes.overhead --rounds 5 --json --output var/overhead.json

bench.compare's JWKS target (≤ 0.67 × oidc-provider's CPU per request) is judged against a peer
whose own cost moves ±20 % from round to round on a shared machine. This isolates the part that
is govsignin's: a bare uvicorn app (same uvicorn, same settings as `serve`: proxy headers on, no
Server or Date header) answers with the body and headers govsignin sent, and the two servers
take turns, each on CPU 0 with the load generator on CPU 1 (bench/rawhttp.py, 64 keep-alive
connections). The difference per request is govsignin's request layer: request id, security
headers, metrics, log line, the document lane (web/observability.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

from bench import rawhttp
from bench.output import emit
from bench.server import Database, Server, cpu_seconds, free_port, server_on_cpu0

# The bare app: the body and header list from files, two `send` calls, served by uvicorn as
# govsignin.serving serves govsignin.
BARE = r"""
import json, sys, uvicorn
body = open(sys.argv[2], "rb").read()
headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in json.load(open(sys.argv[3]))]

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            proxy_headers=True, server_header=False, date_header=False)
"""


async def cpu_us_per_request(pid: int, port: int, path: str, requests: int, connections: int) -> float:
    """Server CPU per request (µs) over `requests` GETs; server on CPU 0, this process on CPU 1."""
    with server_on_cpu0(pid):
        await rawhttp.hammer("127.0.0.1", port, path, connections, connections * 10)  # warm
        before = cpu_seconds(pid)
        answered = await rawhttp.hammer("127.0.0.1", port, path, connections, requests)
        return 1e6 * (cpu_seconds(pid) - before) / len(answered)


def _wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the bare app did not start")


def measure(path: str, rounds: int, requests: int, connections: int, redis: bool) -> dict:
    db = Database("sqlite").create()
    server, bare = None, None
    with tempfile.TemporaryDirectory(prefix="govsignin-overhead-") as tmp:
        try:
            server = Server(db.url, redis_url="redis://127.0.0.1:6379/5" if redis else None).start()
            answer = httpx.get(server.url + path)
            answer.raise_for_status()
            with open(f"{tmp}/body", "wb") as f:
                f.write(answer.content)
            with open(f"{tmp}/headers", "w") as f:
                json.dump(answer.headers.multi_items(), f)
            port = free_port()
            bare = subprocess.Popen([sys.executable, "-c", BARE, str(port), f"{tmp}/body", f"{tmp}/headers"])
            _wait_for(port)
            out = []
            for n in range(rounds):
                ours = asyncio.run(cpu_us_per_request(server.process.pid, server.port, path, requests, connections))
                theirs = asyncio.run(cpu_us_per_request(bare.pid, port, path, requests, connections))
                out.append({"govsignin_us": round(ours, 2), "bare_us": round(theirs, 2)})
                print(f"bench: round {n + 1}: govsignin {ours:.1f} µs, bare app {theirs:.1f} µs", file=sys.stderr)
            headers = [name for name, _ in answer.headers.multi_items()]
        finally:
            if bare:
                bare.kill()
                bare.wait()
            if server:
                server.stop()
            db.drop()
    return {"rounds": out, "headers": headers}


def summarise(rounds: list[dict]) -> dict:
    ours = [r["govsignin_us"] for r in rounds]
    bare = [r["bare_us"] for r in rounds]
    added = [r["govsignin_us"] - r["bare_us"] for r in rounds]
    ratio = [r["govsignin_us"] / r["bare_us"] for r in rounds]
    return {
        "govsignin_us": round(statistics.median(ours), 2),
        "bare_us": round(statistics.median(bare), 2),
        "added_us": {"median": round(statistics.median(added), 2), "min": round(min(added), 2), "max": round(max(added), 2)},
        "ratio": round(statistics.median(ratio), 3),
    }


def table(result: dict) -> str:
    s = result["summary"]
    return "\n".join([
        f"{result['path']} at {result['connections']} connections, {len(result['rounds'])} rounds of "
        f"{result['requests']} requests, server CPU per request (median):",
        f"  govsignin        {s['govsignin_us']:8.1f} µs",
        f"  bare ASGI app    {s['bare_us']:8.1f} µs   (same uvicorn, same bytes and {len(result['headers'])} headers)",
        f"  added            {s['added_us']['median']:8.1f} µs   ({s['added_us']['min']}–{s['added_us']['max']}); "
        f"govsignin ÷ bare {s['ratio']}",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.probes.overhead", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--path", default="/.well-known/jwks.json")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=25600, help="per round and server")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--redis", action="store_true", help="govsignin with the Redis store")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--output")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    measured = measure(args.path, args.rounds, args.requests, args.connections, args.redis)
    result = {
        "path": args.path, "requests": args.requests, "connections": args.connections, **measured,
        "summary": summarise(measured["rounds"]), "elapsed_s": round(time.perf_counter() - started, 1),
    }
    return emit(result, args, table, lambda message: print(f"bench: {message}", file=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
