"""Memory: `python -m bench.memory [--store redis|database] [--database sqlite|postgresql] [--workers N]`.

Resident memory of each `govsignin serve` worker (VmRSS from /proc/<pid>/status) at start, after
each half of a warm-up of `--sign-ins` full sign-ins and `--tokens` silent SSO + token
exchanges, and after a short idle; then the bytes each signed-in browser session occupies in the
shared store (Redis: MEMORY USAGE of every key, by prefix; the database store: the `ephemeral`
rows by prefix, and on PostgreSQL the table's pg_total_relation_size growth).
See bench/README.md ("Memory") and docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time

import httpx

from bench import load
from bench.machine import machine
from bench.output import emit
from bench.server import Database, Server

REDIS_DB = 10  # flushed at the start and the end of a run
MIB = 1024 * 1024


def log(message: str) -> None:
    print(f"bench.memory: {message}", file=sys.stderr, flush=True)


# --- processes -----------------------------------------------------------------------------------


def status(pid: int) -> dict:
    """VmRSS, VmHWM (peak RSS), RssAnon, RssFile in bytes, the thread count, and how many of the
    threads are argon2id hashing threads (named argon2_N, accounts/passwords.py)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(value.split()[0]) * 1024
            elif key == "Threads":
                out[key] = int(value)
    out["hashing_threads"] = hashing_threads(pid)
    return out


def hashing_threads(pid: int) -> int:
    count = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                count += f.read().startswith("argon2")
        except FileNotFoundError:
            pass
    return count


# The target (production-mode issue): at most 100 MiB resident per worker at steady state, with
# argon2id's 19 MiB per concurrent hash on top. A worker hashes on its hashing threads, each of
# which keeps its 19 MiB block (accounts/passwords.py), so its budget is 100 + 19 × threads.
BASE_BUDGET_MIB = 100
ARGON2_BLOCK_MIB = 19


def budget_mib(worker_status: dict) -> int:
    return BASE_BUDGET_MIB + ARGON2_BLOCK_MIB * worker_status.get("hashing_threads", 0)


def workers(server: Server) -> list[int]:
    """The processes serving requests: the server itself with one worker, else uvicorn's spawned workers."""
    if server.workers == 1:
        return [server.process.pid]
    pid, found = server.process.pid, []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            for child in f.read().split():
                with open(f"/proc/{child}/cmdline", "rb") as c:
                    if b"spawn_main" in c.read():
                        found.append(int(child))
    return sorted(found)


def sample(server: Server, label: str) -> dict:
    pids = workers(server)
    snap = {"at": label, "workers": {str(p): status(p) for p in pids}}
    if server.workers > 1:
        snap["supervisor"] = status(server.process.pid)
    rss = ", ".join(f"{s['VmRSS'] / MIB:.1f}" for s in snap["workers"].values())
    log(f"{label}: worker VmRSS {rss} MiB")
    return snap


# --- the shared store ----------------------------------------------------------------------------


def prefix_of(key: str) -> str:
    return key.split(":", 1)[0]


def session_fields(raw: str) -> dict:
    """Bytes of each field of one stored session (its JSON, field by field)."""
    data = json.loads(raw)
    return {k: len(json.dumps({k: v})) - 2 for k, v in data.items()}  # '"k": v' without the braces


async def redis_store(url: str) -> dict:
    import redis.asyncio as redis

    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        groups: dict[str, dict] = {}
        example = None
        async for key in client.scan_iter(count=1000):
            name = prefix_of(key[3:] if key.startswith("gs:") else key)
            g = groups.setdefault(name, {"keys": 0, "memory_usage": [], "value_bytes": [], "key_bytes": []})
            g["keys"] += 1
            g["memory_usage"].append(await client.memory_usage(key, samples=0))
            kind = await client.type(key)
            g["value_bytes"].append(await client.strlen(key) if kind == "string" else 0)
            g["key_bytes"].append(len(key.encode()))
            if name == "sess" and example is None:
                example = await client.get(key)
        info = await client.info("memory")
    finally:
        await client.aclose()
    return {"groups": _averages(groups), "example_session": example, "used_memory": info["used_memory"]}


def _averages(groups: dict) -> dict:
    out = {}
    for name, g in sorted(groups.items()):
        out[name] = {"keys": g["keys"]}
        for field in ("memory_usage", "value_bytes", "key_bytes", "row_bytes"):
            if g.get(field):
                out[name][f"avg_{field}"] = round(statistics.fmean(g[field]), 1)
                out[name][f"max_{field}"] = max(g[field])
    return out


async def database_store(database_url: str) -> dict:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    pg = database_url.startswith("postgresql")
    try:
        async with engine.connect() as conn:
            row_size = "pg_column_size(e.*)" if pg else "NULL"
            value_size = "octet_length(value)" if pg else "length(CAST(value AS BLOB))"
            rows = (await conn.execute(text(
                f"SELECT key, {value_size}, {row_size} FROM ephemeral e WHERE expires_at > :now"),
                {"now": time.time()})).all()
            example = (await conn.execute(text(
                "SELECT value FROM ephemeral WHERE key LIKE 'sess:%' LIMIT 1"))).scalar()
            relation = (await conn.execute(text("SELECT pg_total_relation_size('ephemeral')"))).scalar() if pg else None
    finally:
        await engine.dispose()
    groups: dict[str, dict] = {}
    for key, value_bytes, row_bytes in rows:
        g = groups.setdefault(prefix_of(key), {"keys": 0, "value_bytes": [], "key_bytes": [], "row_bytes": []})
        g["keys"] += 1
        g["value_bytes"].append(value_bytes)
        g["key_bytes"].append(len(key.encode()))
        if row_bytes is not None:
            g["row_bytes"].append(row_bytes)
    return {"groups": _averages(groups), "example_session": example, "relation_bytes": relation}


async def read_store(store: str, server: Server) -> dict:
    return await (redis_store(server.redis_url) if store == "redis" else database_store(server.database_url))


# --- load ----------------------------------------------------------------------------------------


async def warm_up(server: Server, store: str, sign_ins: int, tokens: int, concurrency: int) -> dict:
    settings = server.settings()
    rp, citizens = await load.prepare(settings, sign_ins)
    before_store = await read_store(store, server)
    samples = [sample(server, "started, one service and the accounts written")]
    limits = httpx.Limits(max_connections=2 * concurrency, max_keepalive_connections=2 * concurrency)
    browsers = []
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:
        for half in (0, 1):
            mine = citizens[half * sign_ins // 2:(half + 1) * sign_ins // 2]
            new = [httpx.AsyncClient(transport=http._transport, base_url=server.url) for _ in mine]
            jobs = [lambda b=b, c=c: load.sign_in(b, rp, c, rp.assertion()) for b, c in zip(new, mine)]
            await load.bounded(jobs, concurrency)
            browsers += new
            n = tokens // 2
            jobs = [lambda b=browsers[i % len(browsers)]: load.silent_sso(b, rp) for i in range(n)]
            codes = await load.bounded(jobs, 2 * concurrency)
            forms = [rp.token_form(code, rp.assertion()) for code in codes]
            await load.bounded([lambda f=f: load.token_exchange(http, f) for f in forms], 2 * concurrency)
            samples.append(sample(server, f"after {len(browsers)} sign-ins and {(half + 1) * n} SSO + token exchanges"))
        await asyncio.sleep(5)
        samples.append(sample(server, "steady: 5 s idle after the warm-up"))
    return {"samples": samples, "store_before": before_store, "store_after": await read_store(store, server),
            "sessions": len(browsers)}


def summarise(m: dict, store: str) -> dict:
    steady = m["samples"][-1]["workers"]
    after = m["store_after"]
    sess = after["groups"].get("sess", {})
    journeys = after["groups"].get("journey", {})
    sessions = sess.get("keys", 0)
    per_session = {}
    if store == "redis":
        per_session["memory_usage_sess"] = sess.get("avg_memory_usage")
        per_session["memory_usage_sess_plus_journeys"] = round(
            (sess.get("avg_memory_usage", 0) * sessions
             + journeys.get("avg_memory_usage", 0) * journeys.get("keys", 0)) / max(1, sessions), 1)
        per_session["used_memory_delta_per_session"] = round(
            (after["used_memory"] - m["store_before"]["used_memory"]) / max(1, sessions), 1)
    else:
        per_session["row_sess"] = sess.get("avg_row_bytes")
        per_session["key_plus_value_sess"] = round(sess.get("avg_value_bytes", 0) + sess.get("avg_key_bytes", 0), 1)
        if after.get("relation_bytes") is not None:
            per_session["relation_delta_per_session"] = round(
                (after["relation_bytes"] - m["store_before"]["relation_bytes"]) / max(1, sessions), 1)
    return {
        "steady_rss_mib": {pid: round(s["VmRSS"] / MIB, 1) for pid, s in steady.items()},
        "hashing_threads": {pid: s.get("hashing_threads", 0) for pid, s in steady.items()},
        "budget_mib": {pid: budget_mib(s) for pid, s in steady.items()},
        "steady_rss_less_argon2_blocks_mib": {
            pid: round(s["VmRSS"] / MIB - ARGON2_BLOCK_MIB * s.get("hashing_threads", 0), 1) for pid, s in steady.items()
        },
        "peak_rss_mib": {pid: round(s["VmHWM"] / MIB, 1) for pid, s in steady.items()},
        "sessions_in_store": sessions,
        "journeys_in_store": journeys.get("keys", 0),
        "session_value_bytes": sess.get("avg_value_bytes"),
        "session_fields_bytes": session_fields(after["example_session"]) if after["example_session"] else {},
        "per_session_bytes": per_session,
    }


def table(result: dict) -> str:
    s = result["summary"]
    lines = [f"Memory ({result['database']}, store {result['store']}, {result['workers']} worker(s), "
             f"{result['sizes']['sign_ins']} sign-ins, {result['sizes']['tokens']} SSO + token exchanges)", "",
             "| when | worker VmRSS MiB | VmHWM MiB | threads |", "|---|---|---|---|"]
    for snap in result["samples"]:
        ws = snap["workers"].values()
        rss = ", ".join(f"{w['VmRSS'] / MIB:.1f}" for w in ws)
        hwm = ", ".join(f"{w['VmHWM'] / MIB:.1f}" for w in ws)
        threads = ", ".join(str(w["Threads"]) for w in ws)
        lines.append(f"| {snap['at']} | {rss} | {hwm} | {threads} |")
    if "supervisor" in result["samples"][-1]:
        lines.append(f"uvicorn supervisor: {result['samples'][-1]['supervisor']['VmRSS'] / MIB:.1f} MiB")
    lines.append("")
    for pid, rss in s["steady_rss_mib"].items():
        budget, threads = s["budget_mib"][pid], s["hashing_threads"][pid]
        lines.append(f"worker {pid}: steady RSS {rss:.1f} MiB ≤ {BASE_BUDGET_MIB} + {ARGON2_BLOCK_MIB} × {threads} "
                     f"hashing thread(s) = {budget} MiB → {'pass' if rss <= budget else 'fail'} "
                     f"({s['steady_rss_less_argon2_blocks_mib'][pid]:.1f} MiB without the argon2id blocks)")
    lines += ["",
              "store, by key prefix (live keys after the warm-up):", ""]
    for name, g in result["store_after"]["groups"].items():
        lines.append(f"  {name:<14} {g['keys']:>6} keys  " + "  ".join(
            f"{k[4:]} {v:.0f}" for k, v in g.items() if k.startswith("avg_")))
    lines += ["", f"one session's fields (bytes of JSON): {s['session_fields_bytes']}",
              f"per signed-in session: {s['per_session_bytes']}"]
    main = (s["per_session_bytes"].get("memory_usage_sess_plus_journeys")
            or s["per_session_bytes"].get("relation_delta_per_session")
            or s["per_session_bytes"].get("key_plus_value_sess"))
    if main:
        lines.append(f"bytes per session ≤ 2048: {main:.0f} → {'pass' if main <= 2048 else 'fail'}")
    return "\n".join(lines)


def flush_redis() -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("redis", "database"), default="redis",
                        help=f"Redis (production mode; db {REDIS_DB}, flushed) or the database store")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--workers", type=int, default=1, help="`serve --workers N`")
    parser.add_argument("--sign-ins", type=int, default=300, help="full sign-ins in the warm-up (= sessions)")
    parser.add_argument("--tokens", type=int, default=300, help="silent SSO + token exchanges in the warm-up")
    parser.add_argument("--concurrency", type=int, default=4, help="browsers signing in at once")
    parser.add_argument("--argon2-small-pages", action="store_true",
                        help="GOVSIGNIN_ARGON2_HUGE_PAGES=false: the hashing blocks on 4 KiB pages")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--output", help="also write the JSON result to this file")
    args = parser.parse_args(argv)

    info = machine()
    started = time.perf_counter()
    db = Database(args.database).create()
    server = None
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}" if args.store == "redis" else None
    try:
        if redis_url:
            flush_redis()
        server = Server(db.url, redis_url=redis_url, workers=args.workers,
                        argon2_huge_pages=not args.argon2_small_pages).start()
        time.sleep(1 if args.workers == 1 else 3)  # every worker up
        log(f"govsignin serve pid {server.process.pid}, workers {workers(server)} on {server.url}")
        measured = asyncio.run(warm_up(server, args.store, args.sign_ins, args.tokens, args.concurrency))
    finally:
        if server:
            server.stop()
        db.drop()
        if redis_url:
            flush_redis()
    result = {"database": args.database, "store": args.store, "workers": args.workers,
              "sizes": {"sign_ins": args.sign_ins, "tokens": args.tokens, "concurrency": args.concurrency,
                        "argon2_huge_pages": not args.argon2_small_pages},
              "machine": info, **measured, "elapsed_s": round(time.perf_counter() - started, 1)}
    result["summary"] = summarise(measured, args.store)
    return emit(result, args, table, log)


if __name__ == "__main__":
    sys.exit(main())
