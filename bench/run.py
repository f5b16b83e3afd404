"""Server CPU time per operation: `python -m bench.run [--quick] [--json] [--database postgresql]`.

Starts `govsignin serve` as its own process on a fresh database, drives it over loopback from
this process, and reads the server's CPU time (user + system, from /proc/<pid>/stat) before and
after each bounded batch of one operation. CPU per operation = CPU used / operations. Each
figure is the median over --runs runs; ratios are taken within a run, then their median.
See bench/README.md and docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass

import httpx

from bench import load
from bench.machine import machine
from bench.output import emit
from bench.server import Database, Server

OPERATIONS = ("sign_in", "token_exchange", "silent_sso", "discovery", "jwks")
LABELS = {
    "sign_in": "Sign-in (authorize, 4 pages, auth-code, token, userinfo)",
    "token_exchange": "Token exchange (/token, private_key_jwt ES256)",
    "silent_sso": "Silent single sign-on (/authorize → code)",
    "discovery": "Discovery (/.well-known/openid-configuration)",
    "jwks": "JWKS (/.well-known/jwks.json)",
}


@dataclass
class Sizes:
    runs: int = 5
    sign_ins: int = 30  # per run; each uses its own account (TOTP codes are single-use)
    tokens: int = 300  # silent SSO authorizes per run, then as many token exchanges
    static: int = 2000  # discovery requests per run, and as many JWKS requests
    argon2: int = 30  # argon2id verifications per run for the yardstick
    concurrency: int = 8  # requests in flight (sign-ins: half as many browsers)


FULL = Sizes()
QUICK = Sizes(runs=1, sign_ins=4, tokens=40, static=300, argon2=5, concurrency=4)
WARM_UP = Sizes(runs=1, sign_ins=2, tokens=20, static=50, argon2=1, concurrency=4)


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def argon2_verify_seconds(settings, n: int) -> float:
    """CPU seconds of one argon2id verification at the parameters the server uses (in-process)."""
    from govsignin.accounts.passwords import Passwords

    hasher = Passwords(settings).hasher
    encoded = hasher.hash(load.PASSWORD)
    start = time.process_time()
    for _ in range(n):
        hasher.verify(encoded, load.PASSWORD)
    return (time.process_time() - start) / n


class Bench:
    def __init__(self, server: Server, rp: load.RelyingParty, citizens: list, http: httpx.AsyncClient):
        self.server, self.rp, self.citizens, self.http = server, rp, iter(citizens), http

    def browser(self) -> httpx.AsyncClient:
        """A browser with its own cookie jar, sharing the connection pool."""
        return httpx.AsyncClient(transport=self.http._transport, base_url=self.server.url)

    async def window(self, jobs: list, concurrency: int) -> tuple[list, dict]:
        before, start = self.server.cpu_seconds(), time.perf_counter()
        results = await load.bounded(jobs, concurrency)
        wall, cpu = time.perf_counter() - start, self.server.cpu_seconds() - before
        return results, {"ops": len(jobs), "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
                         "cpu_ms_per_op": round(1000 * cpu / len(jobs), 3)}

    async def run_once(self, n: Sizes) -> dict:
        rp, http = self.rp, self.http
        out = {}

        # (1) Full sign-ins, each a new browser and a fresh account; assertions signed beforehand.
        citizens = [next(self.citizens) for _ in range(n.sign_ins)]
        assertions = [rp.assertion() for _ in citizens]
        browsers = [self.browser() for _ in citizens]
        jobs = [lambda b=b, c=c, a=a: load.sign_in(b, rp, c, a) for b, c, a in zip(browsers, citizens, assertions)]
        _, out["sign_in"] = await self.window(jobs, max(1, n.concurrency // 2))

        # (3) Silent SSO on those signed-in browsers; the codes feed the token exchanges.
        jobs = [lambda b=browsers[i % len(browsers)]: load.silent_sso(b, rp) for i in range(n.tokens)]
        codes, out["silent_sso"] = await self.window(jobs, n.concurrency)

        # (2) Token exchanges alone, with every client assertion signed before the window.
        forms = [rp.token_form(code, rp.assertion()) for code in codes]
        jobs = [lambda f=f: load.token_exchange(http, f) for f in forms]
        _, out["token_exchange"] = await self.window(jobs, n.concurrency)

        # (4) Discovery and JWKS.
        for name, path in (("discovery", "/.well-known/openid-configuration"), ("jwks", "/.well-known/jwks.json")):
            jobs = [lambda p=path: load.get_ok(http, p)] * n.static
            _, out[name] = await self.window(jobs, n.concurrency)

        argon2 = argon2_verify_seconds(self.server.settings(), n.argon2)
        ms = {op: out[op]["cpu_ms_per_op"] for op in OPERATIONS}
        return {
            "operations": out,
            "argon2_verify_ms": round(1000 * argon2, 3),
            "ratios": {
                "sign_in_per_argon2_verify": round(ms["sign_in"] / (1000 * argon2), 3),
                "sign_in_per_token_exchange": round(ms["sign_in"] / ms["token_exchange"], 3),
            },
        }

    async def idle_ms_per_second(self, seconds: float = 2.0) -> float:
        before = self.server.cpu_seconds()
        await asyncio.sleep(seconds)
        return round(1000 * (self.server.cpu_seconds() - before) / seconds, 3)


async def measure(server: Server, sizes: Sizes) -> dict:
    settings = server.settings()
    accounts = sizes.runs * sizes.sign_ins + WARM_UP.sign_ins
    started = time.perf_counter()
    rp, citizens = await load.prepare(settings, accounts)
    log(f"registered a service and {accounts} accounts in {time.perf_counter() - started:.1f} s")
    limits = httpx.Limits(max_connections=2 * sizes.concurrency, max_keepalive_connections=2 * sizes.concurrency)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:
        bench = Bench(server, rp, citizens, http)
        await bench.run_once(WARM_UP)  # templates compiled, keys and clients cached, pool open
        idle = await bench.idle_ms_per_second()
        runs = []
        for i in range(sizes.runs):
            runs.append(await bench.run_once(sizes))
            r = runs[-1]
            log(f"run {i + 1}/{sizes.runs}: " + ", ".join(
                f"{op} {r['operations'][op]['cpu_ms_per_op']:.2f}" for op in OPERATIONS
            ) + f" CPU ms/op; argon2 {r['argon2_verify_ms']:.2f} ms")
    return {"runs": runs, "idle_server_cpu_ms_per_s": idle}


def summarise(runs: list) -> dict:
    def med(values):
        return round(statistics.median(values), 3)

    ops = {}
    for op in OPERATIONS:
        values = [r["operations"][op]["cpu_ms_per_op"] for r in runs]
        ops[op] = {"cpu_ms_per_op": med(values), "min": min(values), "max": max(values),
                   "ops_per_run": runs[0]["operations"][op]["ops"]}
    return {
        "operations": ops,
        "argon2_verify_ms": med([r["argon2_verify_ms"] for r in runs]),
        "ratios": {k: med([r["ratios"][k] for r in runs]) for k in runs[0]["ratios"]},
    }


def table(result: dict) -> str:
    s = result["summary"]
    lines = [
        f"govsignin server CPU per operation ({result['database']}, median of {len(result['runs'])} run(s))",
        "",
        f"| {'Operation':<58} | CPU ms/op | min–max          |",
        f"|{'-' * 60}|-----------|------------------|",
    ]
    for op in OPERATIONS:
        o = s["operations"][op]
        lines.append(f"| {LABELS[op]:<58} | {o['cpu_ms_per_op']:9.2f} | {o['min']:7.2f}–{o['max']:<8.2f} |")
    lines += [
        "",
        f"argon2id verify (in-process, {result['argon2']}): {s['argon2_verify_ms']:.2f} CPU ms",
        f"sign-in ÷ argon2id verify: {s['ratios']['sign_in_per_argon2_verify']:.2f}",
        f"sign-in ÷ token exchange:  {s['ratios']['sign_in_per_token_exchange']:.2f}",
        f"idle server: {result['idle_server_cpu_ms_per_s']:.2f} CPU ms per second",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one tiny run (the test suite runs this)")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="sqlite (a temporary file) or a fresh database on postgres@127.0.0.1:5432")
    for name in ("runs", "sign_ins", "tokens", "static", "argon2", "concurrency"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, dest=name, help=f"override {name}")
    parser.add_argument("--output", help="also write the JSON result to this file")
    parser.add_argument("--cprofile", metavar="FILE",
                        help="run the server under cProfile and write its stats here (CPU figures inflate)")
    args = parser.parse_args(argv)

    sizes = Sizes(**asdict(QUICK if args.quick else FULL))
    for name in asdict(sizes):
        if getattr(args, name, None) is not None:
            setattr(sizes, name, getattr(args, name))

    from govsignin.config import Settings

    s = Settings()
    info = machine()
    started = time.perf_counter()
    try:
        db = Database(args.database).create()
    except Exception as exc:
        log(f"cannot create a {args.database} database: {exc}")
        return 2
    server = None
    try:
        server = Server(db.url, cprofile=args.cprofile).start()
        log(f"govsignin serve pid {server.process.pid} on {server.url} ({args.database})")
        measured = asyncio.run(measure(server, sizes))
    finally:
        if server:
            server.stop()
        db.drop()
    info["loadavg_at_end"] = os.getloadavg()
    result = {
        "database": args.database,
        "sizes": asdict(sizes),
        "machine": info,
        "argon2": f"argon2id t={s.argon2_time_cost} m={s.argon2_memory_kib} KiB p={s.argon2_parallelism}",
        "cpu_clock_ticks_per_s": os.sysconf("SC_CLK_TCK"),
        "summary": summarise(measured["runs"]),
        **measured,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    return emit(result, args, table, log)


if __name__ == "__main__":
    sys.exit(main())
