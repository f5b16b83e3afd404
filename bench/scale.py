"""Sign-in CPU at scale: `python -m bench.scale [--accounts 1000000] [--baseline 1000] [--json]`.

Two fresh PostgreSQL databases on 127.0.0.1:5432, one seeded in bulk with `--baseline` accounts
and one with `--accounts` accounts (COPY through asyncpg), ANALYZEd; one `govsignin serve` on
each, both up at once; then each run signs in `--sign-ins` randomly chosen seeded accounts on
each server in turn (the order alternates) and reads both servers' CPU (and their PostgreSQL
backends' CPU) around each window. Ratio = large ÷ baseline within a run, then the median.
See bench/README.md ("Scale") and docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import os
import random
import secrets
import statistics
import sys
import time
import uuid

import httpx

from bench import load
from bench.machine import machine
from bench.output import emit
from bench.server import CLK_TCK, PG, Database, Server

REDIS_DB = {"baseline": 11, "large": 12}  # flushed at the start and the end of a run
CHUNK = 50_000


def log(message: str) -> None:
    print(f"bench.scale: {message}", file=sys.stderr, flush=True)


def totp_secret(seed: bytes, i: int) -> str:
    """Seeded account i's authenticator-app secret (32 base32 characters, 160 bits): derived,
    so the benchmark can sign in as any seeded account without keeping a million secrets."""
    return base64.b32encode(hmac.new(seed, str(i).encode(), hashlib.sha256).digest()[:20]).decode()


def email(i: int) -> str:
    return f"scale-{i:08d}@example.com"


# --- seeding -----------------------------------------------------------------------------------


async def seed(dsn: str, n: int, password_hash: str, box, seed_key: bytes) -> dict:
    """COPY n accounts (user, password, auth-app factor with its own encrypted secret)."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    timings = {"generate_s": 0.0, "encrypt_s": 0.0, "copy_s": 0.0}
    now = dt.datetime.now(dt.UTC)
    try:
        # The rows are consistent by construction: skip the per-row foreign-key triggers.
        await conn.execute("SET session_replication_role = replica")
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            t0 = time.perf_counter()
            ids = [str(uuid.uuid4()) for _ in range(start, stop)]
            users = [(uid, secrets.token_urlsafe(32), email(i), True, None, False, now)
                     for uid, i in zip(ids, range(start, stop))]
            passwords = [(uid, password_hash, now) for uid in ids]
            t1 = time.perf_counter()
            secrets_enc = [box.encrypt(totp_secret(seed_key, i)) for i in range(start, stop)]
            t2 = time.perf_counter()
            mfa = [(uid, "auth_app", "default", enc, None, now) for uid, enc in zip(ids, secrets_enc)]
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "users", records=users,
                    columns=["id", "internal_subject_id", "email", "email_verified", "phone_number",
                             "phone_number_verified", "created_at"])
                await conn.copy_records_to_table("password_credentials", records=passwords,
                                                 columns=["user_id", "hash", "updated_at"])
                await conn.copy_records_to_table(
                    "mfa_methods", records=mfa,
                    columns=["user_id", "kind", "priority", "secret_encrypted", "phone_number", "created_at"])
            t3 = time.perf_counter()
            timings["generate_s"] += t1 - t0
            timings["encrypt_s"] += t2 - t1
            timings["copy_s"] += t3 - t2
            if n >= 200_000 and stop % 200_000 == 0:
                log(f"  {stop:,} accounts copied")
        t = time.perf_counter()
        await conn.execute("ANALYZE")
        timings["analyze_s"] = time.perf_counter() - t
        sizes = {
            "database_bytes": await conn.fetchval("SELECT pg_database_size(current_database())"),
            "tables_bytes": {name: await conn.fetchval("SELECT pg_total_relation_size($1::regclass)", name)
                             for name in ("users", "password_credentials", "mfa_methods")},
            "rows": {name: await conn.fetchval(f"SELECT count(*) FROM {name}")
                     for name in ("users", "password_credentials", "mfa_methods")},
        }
        plans = {}
        uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", email(n // 2))
        for label, sql, arg in (
            ("user by email", "SELECT * FROM users WHERE email = $1", email(n // 2)),
            ("password by user", "SELECT * FROM password_credentials WHERE user_id = $1", uid),
            ("auth app by user", "SELECT * FROM mfa_methods WHERE user_id = $1 AND kind = 'auth_app'", uid),
        ):
            rows = await conn.fetch(f"EXPLAIN (COSTS OFF) {sql}", arg)
            plans[label] = " / ".join(r[0].strip() for r in rows)
    finally:
        await conn.close()
    return {"accounts": n, **{k: round(v, 2) for k, v in timings.items()}, **sizes, "plans": plans}


async def register_service(settings) -> load.RelyingParty:
    from joserfc.jwk import ECKey

    from govsignin.onboarding.registration import Registration, register
    from govsignin.services import build_services

    services = build_services(settings, with_templates=False)
    try:
        key = ECKey.generate_key("P-256", private=True)
        key.ensure_kid()
        reg = await register(services, Registration(
            name="Scale benchmark service", redirect_uris=[load.REDIRECT_URI],
            public_keys_pem=[key.as_pem(private=False).decode()], require_pkce=False,
        ))
    finally:
        await services.close()
    return load.RelyingParty(reg["client_id"], key, settings.endpoint("/token"))


# --- PostgreSQL backends' CPU --------------------------------------------------------------------


async def backend_ticks(dbname: str) -> dict[int, int]:
    """utime + stime of every PostgreSQL backend connected to this database, by pid."""
    import asyncpg

    conn = await asyncpg.connect(database="postgres", **PG)
    try:
        pids = [r[0] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", dbname)]
    finally:
        await conn.close()
    ticks = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def ticks_used(before: dict, after: dict) -> int:
    return sum(t - before.get(pid, 0) for pid, t in after.items())  # a new backend counts from 0


# --- the measurement -----------------------------------------------------------------------------


class Side:
    def __init__(self, name: str, server: Server, dbname: str, rp: load.RelyingParty, accounts: int, seed_key: bytes,
                 rng: random.Random):
        self.name, self.server, self.dbname, self.rp = name, server, dbname, rp
        self.seed_key = seed_key
        self.unused = iter(rng.sample(range(accounts), accounts))  # each account signs in once

    def citizens(self, n: int) -> list[load.Citizen]:
        try:
            return [load.Citizen(email(i), totp_secret(self.seed_key, i)) for i in (next(self.unused) for _ in range(n))]
        except StopIteration:
            raise SystemExit(f"bench.scale: more sign-ins than {self.name} accounts; lower --runs/--sign-ins") from None

    async def window(self, n: int, concurrency: int) -> dict:
        citizens = self.citizens(n)
        assertions = [self.rp.assertion() for _ in citizens]
        limits = httpx.Limits(max_connections=2 * concurrency, max_keepalive_connections=2 * concurrency)
        async with httpx.AsyncClient(base_url=self.server.url, limits=limits, timeout=60) as http:
            browsers = [httpx.AsyncClient(transport=http._transport, base_url=self.server.url) for _ in citizens]
            jobs = [lambda b=b, c=c, a=a: load.sign_in(b, self.rp, c, a) for b, c, a in zip(browsers, citizens, assertions)]
            pg_before = await backend_ticks(self.dbname)
            before, start = self.server.cpu_seconds(), time.perf_counter()
            await load.bounded(jobs, concurrency)
            wall, cpu = time.perf_counter() - start, self.server.cpu_seconds() - before
            pg_cpu = ticks_used(pg_before, await backend_ticks(self.dbname)) / CLK_TCK
        return {"ops": n, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3), "pg_cpu_s": round(pg_cpu, 3),
                "cpu_ms_per_op": round(1000 * cpu / n, 3), "pg_cpu_ms_per_op": round(1000 * pg_cpu / n, 3)}


async def measure(sides: dict, runs: int, sign_ins: int, concurrency: int, warm_up: int) -> list:
    for side in sides.values():
        await side.window(warm_up, concurrency)  # templates compiled, pools open, keys cached
    out = []
    for r in range(runs):
        order = ("baseline", "large") if r % 2 == 0 else ("large", "baseline")
        result = {name: await sides[name].window(sign_ins, concurrency) for name in order}
        result["ratio"] = round(result["large"]["cpu_ms_per_op"] / result["baseline"]["cpu_ms_per_op"], 3)
        base_pg = result["baseline"]["pg_cpu_ms_per_op"]
        result["pg_ratio"] = round(result["large"]["pg_cpu_ms_per_op"] / base_pg, 3) if base_pg else None
        out.append(result)
        log(f"run {r + 1}/{runs}: baseline {result['baseline']['cpu_ms_per_op']:.1f} ms, "
            f"large {result['large']['cpu_ms_per_op']:.1f} ms server CPU per sign-in, ratio {result['ratio']:.2f} "
            f"(PostgreSQL {result['baseline']['pg_cpu_ms_per_op']:.2f} vs {result['large']['pg_cpu_ms_per_op']:.2f} ms)")
    return out


def flush_redis(db: int) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


def summarise(runs: list) -> dict:
    def med(values):
        values = [v for v in values if v is not None]
        return {"median": round(statistics.median(values), 3), "min": min(values), "max": max(values)} if values else None

    return {
        "baseline_cpu_ms_per_sign_in": med([r["baseline"]["cpu_ms_per_op"] for r in runs]),
        "large_cpu_ms_per_sign_in": med([r["large"]["cpu_ms_per_op"] for r in runs]),
        "ratio": med([r["ratio"] for r in runs]),
        "baseline_pg_cpu_ms_per_sign_in": med([r["baseline"]["pg_cpu_ms_per_op"] for r in runs]),
        "large_pg_cpu_ms_per_sign_in": med([r["large"]["pg_cpu_ms_per_op"] for r in runs]),
        "pg_ratio": med([r["pg_ratio"] for r in runs]),
    }


def table(result: dict) -> str:
    s, seeded = result["summary"], result["seeded"]
    mib = 1024 * 1024
    lines = [f"Sign-in server CPU at {result['accounts']['baseline']:,} vs {result['accounts']['large']:,} accounts "
             f"(PostgreSQL, store {result['store']}, median of {len(result['runs'])} run(s))", ""]
    for name in ("baseline", "large"):
        d = seeded[name]
        lines.append(f"seeded {d['accounts']:>9,}: {d['seed_s']:.1f} s (generate {d['generate_s']:.1f}, "
                     f"encrypt {d['encrypt_s']:.1f}, COPY {d['copy_s']:.1f}, ANALYZE {d['analyze_s']:.1f}); "
                     f"database {d['database_bytes'] / mib:.0f} MiB")
    lines.append("")
    for key, label in (("baseline_cpu_ms_per_sign_in", "baseline server CPU ms/sign-in"),
                       ("large_cpu_ms_per_sign_in", "large server CPU ms/sign-in"),
                       ("ratio", "ratio large ÷ baseline (target ≤ 1.10)"),
                       ("baseline_pg_cpu_ms_per_sign_in", "baseline PostgreSQL CPU ms/sign-in"),
                       ("large_pg_cpu_ms_per_sign_in", "large PostgreSQL CPU ms/sign-in"),
                       ("pg_ratio", "PostgreSQL ratio")):
        v = s[key]
        if v:
            lines.append(f"{label:<42} {v['median']:8.2f}  ({v['min']:.2f}–{v['max']:.2f})")
    ratio = s["ratio"]["median"]
    lines.append(f"\ntarget (within 10 %): {'pass' if ratio <= 1.10 else 'fail'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000, help="accounts in the large database")
    parser.add_argument("--baseline", type=int, default=1_000, help="accounts in the baseline database")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sign-ins", type=int, default=30, help="sign-ins per window (each a distinct account)")
    parser.add_argument("--concurrency", type=int, default=4, help="browsers signing in at once")
    parser.add_argument("--warm-up", type=int, default=4, help="sign-ins per server before the runs")
    parser.add_argument("--store", choices=("redis", "database"), default="redis",
                        help="the short-lived store: Redis (production mode; dbs 11 and 12) or the database")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--output", help="also write the JSON result to this file")
    args = parser.parse_args(argv)
    needed = args.warm_up + args.runs * args.sign_ins
    if needed > min(args.baseline, args.accounts):
        parser.error(f"{needed} sign-ins need as many distinct accounts; --baseline is {args.baseline}")

    from govsignin.accounts.passwords import Passwords
    from govsignin.crypto import SecretBox
    from govsignin.db import migrate

    info = machine()
    started = time.perf_counter()
    seed_key = secrets.token_bytes(32)
    rng = random.Random()
    dbs, servers, sides, seeded = {}, {}, {}, {}
    try:
        for name, n in (("baseline", args.baseline), ("large", args.accounts)):
            dbs[name] = Database("postgresql").create()
            redis_url = f"redis://127.0.0.1:6379/{REDIS_DB[name]}" if args.store == "redis" else None
            if redis_url:
                flush_redis(REDIS_DB[name])
            servers[name] = Server(dbs[name].url, redis_url=redis_url)
            settings = servers[name].settings()
            migrate.upgrade(settings)
            passwords = Passwords(settings)
            t = time.perf_counter()
            encoded = passwords.hash_sync(load.PASSWORD)  # ONE real argon2id hash, reused for every account
            hash_s = time.perf_counter() - t
            log(f"seeding {n:,} accounts into {dbs[name]._name}")
            t = time.perf_counter()
            dsn = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{dbs[name]._name}"
            seeded[name] = asyncio.run(seed(dsn, n, encoded, SecretBox(settings.key_encryption_key), seed_key))
            seeded[name]["seed_s"] = round(time.perf_counter() - t, 1)
            seeded[name]["argon2_hash_s"] = round(hash_s, 3)
            log(f"seeded {n:,} accounts in {seeded[name]['seed_s']} s; database "
                f"{seeded[name]['database_bytes'] / 2**20:.0f} MiB")
        for name, n in (("baseline", args.baseline), ("large", args.accounts)):
            servers[name].start()
            rp = asyncio.run(register_service(servers[name].settings()))
            sides[name] = Side(name, servers[name], dbs[name]._name, rp, n, seed_key, rng)
            log(f"{name}: govsignin serve pid {servers[name].process.pid} on {servers[name].url}")

        async def go():
            return await measure(sides, args.runs, args.sign_ins, args.concurrency, args.warm_up)

        runs = asyncio.run(go())
    finally:
        for server in servers.values():
            server.stop()
        for db in dbs.values():
            db.drop()
        if args.store == "redis":
            for name in dbs:
                flush_redis(REDIS_DB[name])
    info["loadavg_at_end"] = os.getloadavg()
    result = {
        "accounts": {"baseline": args.baseline, "large": args.accounts},
        "store": args.store,
        "sizes": {"runs": args.runs, "sign_ins": args.sign_ins, "concurrency": args.concurrency, "warm_up": args.warm_up},
        "seeded": seeded,
        "machine": info,
        "summary": summarise(runs),
        "runs": runs,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    return emit(result, args, table, log)


if __name__ == "__main__":
    sys.exit(main())
