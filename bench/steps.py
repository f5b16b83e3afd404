"""Where a sign-in's server CPU goes, request by request.

    .venv/bin/python -m bench.steps                       # SQLite store, 200 sign-ins
    .venv/bin/python -m bench.steps --redis               # the Redis store (production mode's)
    .venv/bin/python -m bench.steps --database postgresql --sign-ins 400
    .venv/bin/python -m bench.steps --redis --runs 5 --json --output var/steps.json

The same 12 requests as `bench.run`'s sign-in, but every browser takes step k together and the
server's CPU is read around each step, so each line is CPU per request of that one step. The sum
is comparable with `bench.run`'s sign-in; the argon2id verification (in-process, same parameters)
is the yardstick the production-mode issue sets (sign-in ≤ 1.3 × argon2id), taken in slices spread
over each run: one before it and one after each step, while the server is idle between steps. This
host's speed drifts by a fifth within minutes, so a yardstick taken only before and after a run can
miss the speed the run had. A second yardstick verifies as many passwords at once as the server
has hashing threads, which is how the server hashes at load (`Yardstick`). The ratios are taken
within each run, then the median over runs.

Each step's CPU is also split by thread: the hashing threads (named "argon2") against the rest of
the server. Their CPU is the password hash as the server ran it, which is not what the same hash
costs back to back in the bench process: a hashing thread that sleeps between sign-ins finds its
19 MiB block out of the caches. So three more figures: the hash in the server, "everything but
the hash" (the sign-in less the hashing threads' CPU: the part the code controls), and one plus
that part over the yardstick (the target as the issue words it: "everything except the password
hash costs less than a third of it").
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

import httpx

from bench import load
from bench.machine import machine
from bench.output import emit
from bench.server import Database, Server
from bench.yardstick import Yardstick

TARGET = 1.3  # sign-in ≤ 1.3 × one argon2id verification (production-mode issue)
FLOOR = "GET  /healthz"  # the per-request floor (Steps.bare_request)


class Steps:
    """Drives `browsers` through the sign-in one step at a time and records CPU ms per request;
    takes a slice of each of its `yardsticks` before the first step and after every step."""

    def __init__(self, server: Server, rp: load.RelyingParty, citizens: list, concurrency: int,
                 yardsticks: tuple[Yardstick, ...] = ()):
        self.server, self.rp, self.citizens, self.concurrency = server, rp, citizens, concurrency
        self.yardsticks = yardsticks
        self.browsers = [httpx.AsyncClient(base_url=server.url) for _ in citizens]
        self.csrf: dict[int, str] = {}
        self.codes: dict[int, str] = {}
        self.tokens: dict[int, str] = {}
        self.cpu_ms: dict[str, float] = {}
        self.hash_ms: dict[str, float] = {}  # of cpu_ms, the hashing threads' share

    async def step(self, name: str, one) -> None:
        jobs = [lambda b=b, c=c: one(b, c) for b, c in zip(self.browsers, self.citizens)]
        before, hashing = self.server.cpu_seconds(), self.server.hashing_cpu_seconds()
        await load.bounded(jobs, self.concurrency)
        self.cpu_ms[name] = 1000 * (self.server.cpu_seconds() - before) / len(jobs)
        self.hash_ms[name] = 1000 * (self.server.hashing_cpu_seconds() - hashing) / len(jobs)
        for yardstick in self.yardsticks:  # outside the window: the server is idle meanwhile
            yardstick.take()

    async def page(self, path: str, then: str, **fields) -> None:
        async def get(browser, _citizen):
            response = await browser.get(path)
            load._expect(response, 200)
            match = load.CSRF.search(response.text)
            if not match:
                raise load.BenchError(f"{path} has no CSRF token")
            self.csrf[id(browser)] = match.group(1)

        async def post(browser, citizen):
            data = {k: (v(citizen) if callable(v) else v) for k, v in fields.items()}
            response = await browser.post(path, data={"csrf_token": self.csrf[id(browser)], **data})
            load._expect(response, 303, then)

        await self.step(f"GET  {path}", get)
        await self.step(f"POST {path}", post)

    async def sign_in(self) -> dict[str, float]:
        rp = self.rp
        for yardstick in self.yardsticks:
            yardstick.take()

        async def authorize(browser, _citizen):
            response = await browser.get("/authorize", params=rp.authorize_params())
            load._expect(response, 302, "/sign-in-or-create")

        async def auth_code(browser, _citizen):
            self.codes[id(browser)] = load._code_from(await browser.get("/auth-code"))

        async def token(browser, _citizen):
            response = await browser.post("/token", data=rp.token_form(self.codes[id(browser)], rp.assertion()))
            load._expect(response, 200)
            self.tokens[id(browser)] = response.json()["access_token"]

        async def userinfo(browser, _citizen):
            headers = {"Authorization": f"Bearer {self.tokens[id(browser)]}"}
            load._expect(await browser.get("/userinfo", headers=headers), 200)

        await self.step("GET  /authorize", authorize)
        await self.page("/sign-in-or-create", "/enter-email")
        await self.page("/enter-email", "/enter-password", email=lambda c: c.email)
        await self.page("/enter-password", "/enter-authenticator-app-code", password=load.PASSWORD)
        await self.page("/enter-authenticator-app-code", "/auth-code", code=lambda c: c.code())
        await self.step("GET  /auth-code", auth_code)
        await self.step("POST /token", token)
        await self.step("GET  /userinfo", userinfo)
        await self.bare_request()
        for browser in self.browsers:
            await browser.aclose()
        return self.cpu_ms, self.hash_ms

    async def bare_request(self) -> None:
        """The per-request floor, by the same browsers on the same connections at the same
        concurrency: GET /healthz, which does nothing but pass through the server and the
        request layer. Kept apart from the sign-in's steps (`floor_ms`)."""

        async def healthz(browser, _citizen):
            load._expect(await browser.get("/healthz"), 200)

        await self.step(FLOOR, healthz)
        self.floor_ms = self.cpu_ms.pop(FLOOR)
        self.hash_ms.pop(FLOOR)


SLICES = 14  # a yardstick slice before the first step and after each of the 13 (12 and the floor)


async def measure_runs(server: Server, runs: int, sign_ins: int, concurrency: int, argon2: int) -> list[dict]:
    """`runs` rounds of the 12 steps with the in-process argon2id yardsticks taken between them,
    one prepared set of accounts; each round's ratios are taken within the round."""
    from govsignin.accounts.passwords import hashing_threads

    rp, citizens = await load.prepare(server.settings(), runs * sign_ins + 4)
    await Steps(server, rp, citizens[:4], concurrency).sign_in()  # warm-up: templates, keys, pools
    at_once = hashing_threads(server.settings())  # how many hashes the server runs at once at load
    out = []
    for n in range(runs):
        batch = citizens[4 + n * sign_ins : 4 + (n + 1) * sign_ins]
        alone = Yardstick(server.settings(), round(argon2 / SLICES))
        together = Yardstick(server.settings(), round(argon2 / SLICES), at_once) if at_once > 1 else alone
        steps = Steps(server, rp, batch, concurrency, (alone, together) if together is not alone else (alone,))
        try:
            cpu_ms, hash_ms = await steps.sign_in()
        finally:
            alone.close()
            together.close()
        argon2_ms, (fastest, slowest) = alone.ms, alone.spread_ms
        total, hashing = sum(cpu_ms.values()), sum(hash_ms.values())
        rest = total - hashing
        floor = len(cpu_ms) * steps.floor_ms  # what the sign-in's requests cost doing nothing
        out.append({"steps_ms": cpu_ms, "steps_hash_ms": hash_ms, "sign_in_ms": total, "argon2_ms": argon2_ms,
                    "ratio": total / argon2_ms, "server_hash_ms": hashing, "rest_ms": rest,
                    "rest_ratio": 1 + rest / argon2_ms, "floor_ms": steps.floor_ms, "requests_floor_ms": floor,
                    "own_ms": rest - floor, "ratio_to_server_hash": total / hashing if hashing else None,
                    "argon2_slices_ms": [round(1000 * x, 3) for x in alone.slices],
                    "argon2_spread_ms": [fastest, slowest],
                    "hashing_threads": at_once, "server_hashing_threads": server.hashing_threads(),
                    "server_huge_pages_kib": server.huge_pages_kib(),
                    "argon2_together_ms": together.ms,
                    "ratio_to_together": total / together.ms})
        print(f"bench: run {n + 1}/{runs}: sign-in {total:.2f} ms (hash in the server {hashing:.2f}), argon2id "
              f"{argon2_ms:.2f} ms ({fastest:.1f}–{slowest:.1f} over {len(alone.slices)} slices), "
              f"{at_once} at once {together.ms:.2f} ms; ratio {total / argon2_ms:.2f}, "
              f"to {at_once} at once {total / together.ms:.2f}, 1 + rest/argon2id {1 + rest / argon2_ms:.2f}",
              file=sys.stderr)
    return out


def summarise(runs: list[dict]) -> dict:
    med = statistics.median
    return {
        "steps_ms": {name: round(med(r["steps_ms"][name] for r in runs), 3) for name in runs[0]["steps_ms"]},
        "sign_in_ms": round(med(r["sign_in_ms"] for r in runs), 3),
        "argon2_ms": round(med(r["argon2_ms"] for r in runs), 3),
        "server_hash_ms": round(med(r["server_hash_ms"] for r in runs), 3),
        "rest_ms": round(med(r["rest_ms"] for r in runs), 3),
        "floor_ms": round(med(r["floor_ms"] for r in runs), 3),
        "requests_floor_ms": round(med(r["requests_floor_ms"] for r in runs), 3),
        "own_ms": round(med(r["own_ms"] for r in runs), 3),
        "hashing_threads": runs[0]["hashing_threads"],
        "argon2_together_ms": round(med(r["argon2_together_ms"] for r in runs), 3),
        "ratio": _spread(runs, "ratio"),
        "ratio_to_together": _spread(runs, "ratio_to_together"),
        "rest_ratio": _spread(runs, "rest_ratio"),
        "ratio_to_server_hash": _spread(runs, "ratio_to_server_hash") if all(r["ratio_to_server_hash"] for r in runs) else None,
    }


def _spread(runs: list[dict], key: str) -> dict:
    values = [r[key] for r in runs]
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "target": TARGET}


def table(result: dict) -> str:
    s, runs = result["summary"], len(result["runs"])
    lines = [f"server CPU per request, median of {runs} run(s) of {result['sizes']['sign_ins']} sign-ins, "
             f"store {result['store']}:"]
    lines += [f"  {name:40s} {ms:7.2f} ms" for name, ms in s["steps_ms"].items()]
    ratio, rest, together = s["ratio"], s["rest_ratio"], s["ratio_to_together"]
    lines += [
        f"  {'sign-in (12 requests)':40s} {s['sign_in_ms']:7.2f} ms",
        f"  {'argon2id verify (in-process)':40s} {s['argon2_ms']:7.2f} ms",
        f"  {'sign-in ÷ argon2id':40s} {ratio['median']:7.2f}   ({ratio['min']:.2f}–{ratio['max']:.2f}; target ≤ {TARGET})",
        f"  {'sign-in − argon2id':40s} {s['sign_in_ms'] - s['argon2_ms']:7.2f} ms "
        f"(target ≤ {(TARGET - 1) * s['argon2_ms']:.1f})",
        *([f"  {'argon2id verify, %d at once' % s['hashing_threads']:40s} {s['argon2_together_ms']:7.2f} ms",
           f"  {'sign-in ÷ argon2id %d at once' % s['hashing_threads']:40s} {together['median']:7.2f}   "
           f"({together['min']:.2f}–{together['max']:.2f}; as the server hashes at load)"]
          if s["hashing_threads"] > 1 else []),
        f"  {'the hash in the server (argon2 threads)':40s} {s['server_hash_ms']:7.2f} ms",
        f"  {'everything but the hash':40s} {s['rest_ms']:7.2f} ms",
        f"  {'1 + everything but the hash ÷ argon2id':40s} {rest['median']:7.2f}   "
        f"({rest['min']:.2f}–{rest['max']:.2f}; target ≤ {TARGET})",
        *([f"  {'sign-in ÷ the hash in the server':40s} {s['ratio_to_server_hash']['median']:7.2f}   "
           f"({s['ratio_to_server_hash']['min']:.2f}–{s['ratio_to_server_hash']['max']:.2f})"]
          if s.get("ratio_to_server_hash") else []),
        f"  {'a bare request (GET /healthz), same way':40s} {s['floor_ms']:7.2f} ms",
        f"  {'  its cost × 12 requests':40s} {s['requests_floor_ms']:7.2f} ms",
        f"  {'  everything but the hash, less that':40s} {s['own_ms']:7.2f} ms",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.steps", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--redis", action="store_true", help="GOVSIGNIN_REDIS_URL=redis://127.0.0.1:6379/5")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sign-ins", type=int, default=200, help="per run")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--argon2", type=int, default=28,
                        help=f"argon2id verifications for the yardstick, per run, in {SLICES} slices")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--output", help="also write the JSON result to this file")
    parser.add_argument("--argon2-threads", type=int, default=0,
                        help="GOVSIGNIN_ARGON2_THREADS for the server (0: its default, the cores)")
    parser.add_argument("--argon2-small-pages", action="store_true",
                        help="GOVSIGNIN_ARGON2_HUGE_PAGES=false, for the server and the yardsticks alike")
    parser.add_argument("--cprofile", metavar="FILE",
                        help="run the server under cProfile, stats to FILE (inflates the CPU figures)")
    args = parser.parse_args(argv)

    started, info = time.perf_counter(), machine()
    db = Database(args.database).create()
    server = None
    try:
        server = Server(db.url, redis_url="redis://127.0.0.1:6379/5" if args.redis else None,
                        cprofile=args.cprofile, argon2_threads=args.argon2_threads,
                        argon2_huge_pages=not args.argon2_small_pages).start()
        runs = asyncio.run(measure_runs(server, args.runs, args.sign_ins, args.concurrency, args.argon2))
    finally:
        if server:
            server.stop()
        db.drop()
    result = {
        "machine": info,
        "store": "Redis" if args.redis else args.database,
        "database": args.database,
        "sizes": {"runs": args.runs, "sign_ins": args.sign_ins, "concurrency": args.concurrency, "argon2": args.argon2,
                  "argon2_threads": args.argon2_threads, "argon2_huge_pages": not args.argon2_small_pages},
        "runs": runs,
        "summary": summarise(runs),
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    return emit(result, args, table, lambda message: print(f"bench: {message}", file=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
