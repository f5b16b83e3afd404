"""`govsignin accounts import` at scale: 1,000,000 generated rows into PostgreSQL, the time, the
peak memory as the rows go in, and what a first sign-in with an old hash costs
(docs/performance.md, "Legacy import").

    .venv/bin/python -m bench.legacy_import                        # 1,000,000 rows, PostgreSQL
    .venv/bin/python -m bench.legacy_import --rows 100000 --json
    .venv/bin/python -m bench.legacy_import --database-url sqlite+aiosqlite:///var/legacy-bench.db

The generated file goes to var/ (not in git) and is made again only if its row count changed.
Rows: every supported hash format in turn (made once by libpass at cheap parameters: the import
checks a hash's format, it does not verify it), one in three with a mobile number, one in ten
with an authenticator-app secret, one in seven with an email the old system had not verified.
Without --database-url a scratch PostgreSQL database is created and dropped afterwards.
Peak RSS is the importer process's high-water mark (VmHWM) when the first 100,000 rows are in,
and at the end: flat memory means the two are close.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.machine import machine
from bench.output import emit

ROOT = Path(__file__).resolve().parents[1]
FIRST_SAMPLE = 100_000


def _hashes() -> list[str]:
    from passlib import hash as h

    pw = "correct horse battery staple"
    return [
        h.bcrypt.using(rounds=4).hash(pw), h.bcrypt_sha256.using(rounds=4).hash(pw),
        h.django_pbkdf2_sha256.using(rounds=1000).hash(pw), h.sha512_crypt.using(rounds=1000).hash(pw),
        h.md5_crypt.hash(pw), h.ldap_salted_sha1.hash(pw), h.ldap_salted_sha512.hash(pw),
        h.scrypt.using(rounds=4).hash(pw), h.argon2.using(memory_cost=1024, rounds=1).hash(pw),
    ]


def generate(path: Path, rows: int) -> None:
    import base64

    stamp = path.with_suffix(".rows")
    if path.exists() and stamp.exists() and stamp.read_text() == f"{rows} rows, generator 2":
        return
    hashes = _hashes()
    with path.open("w") as out:
        for n in range(rows):
            row = {"email": f"citizen{n}@legacy.example.com", "email_verified": n % 7 != 0,
                   "password_hash": hashes[n % len(hashes)], "legacy_system": "bench", "legacy_id": str(n),
                   "created_at": "2014-06-01T12:00:00Z"}
            if n % 3 == 0:
                row["phone"] = f"0745{n % 10_000_000:07d}"  # a UK mobile range phonenumbers holds valid
            if n % 10 == 0:
                row["totp_secret"] = base64.b32encode(n.to_bytes(4, "big") + b"legacy-secret!").decode().rstrip("=")
            out.write(json.dumps(row) + "\n")
    stamp.write_text(f"{rows} rows, generator 2")


def _cpu_seconds() -> float:
    """CPU of this process and of its finished children (the row-checking workers), user + system."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


async def _postgres_backends_cpu(engine) -> float | None:
    """CPU of the PostgreSQL backends serving this database since they started (the import's
    pooled connections, this query's among them), user + system, read from /proc: the server
    runs on this machine. The server's shared work (WAL writer, checkpointer) is not in it."""
    if engine.dialect.name != "postgresql":
        return None
    from sqlalchemy import text

    async with engine.connect() as conn:
        pids = (await conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))).scalars().all()
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            continue
    return round(total / ticks, 1)


def peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _scratch_postgres() -> tuple[str, str]:
    name = f"govsignin_bench_legacy_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"CREATE DATABASE {name}"], check=True)
    return name, f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def _drop_postgres(name: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {name}"], check=False)


async def run_import(database_url: str, path: Path, rows: int, batch_size: int, workers: int | None) -> dict:
    from govsignin.config import Settings
    from govsignin.db import migrate
    from govsignin.migration.importer import run_import as import_file
    from govsignin.migration.parallel import default_workers
    from govsignin.services import build_services

    settings = Settings(env="test", database_url=database_url)
    await asyncio.to_thread(migrate.upgrade, settings)
    services = build_services(settings, with_templates=False)
    samples: dict[str, float] = {}
    done = {"batches": 0}

    def progress() -> None:
        done["batches"] += 1
        if "100k" not in samples and done["batches"] * batch_size >= FIRST_SAMPLE:
            samples["100k"] = round(peak_rss_mib(), 1)

    workers = default_workers(path.stat().st_size) if workers is None else workers
    try:
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        with path.open("rb") as stream:
            summary = await import_file(services, stream, "jsonl", batch_size=batch_size, progress=progress, workers=workers)
        seconds = time.perf_counter() - started
        samples["end"] = round(peak_rss_mib(), 1)
        cpu = _cpu_seconds() - cpu_before
        server_cpu = await _postgres_backends_cpu(services.engine)
        first_sign_in = await sign_in_costs(services)
    finally:
        await services.close()
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_second": round(rows / seconds),
            "importer_cpu_seconds": round(cpu, 1), "postgres_backend_cpu_seconds": server_cpu,
            "peak_rss_mib": samples, "workers": workers, "batch_size": batch_size,
            "summary": summary.as_dict(), "first_sign_in_ms": first_sign_in}


async def sign_in_costs(services, repeats: int = 15) -> dict:
    """check_password's cost: an argon2id account (the normal path), and a first sign-in with an
    old hash at a typical old system's parameters (the old check plus one argon2id hash)."""
    import io

    from passlib import hash as h

    from govsignin.migration.importer import run_import as import_file

    pw = "correct horse battery staple"
    schemes = {
        "bcrypt (cost 10)": lambda: h.bcrypt.using(rounds=10).hash(pw),
        "django_pbkdf2_sha256 (260,000)": lambda: h.django_pbkdf2_sha256.using(rounds=260000).hash(pw),
        "sha512_crypt (5,000)": lambda: h.sha512_crypt.using(rounds=5000).hash(pw),
        "md5_crypt": lambda: h.md5_crypt.hash(pw),
    }
    tag = uuid.uuid4().hex[:8]
    rows, kinds = [], []
    for kind, make in schemes.items():
        for _ in range(repeats):
            rows.append({"email": f"first-{tag}-{len(rows)}@example.com", "email_verified": True, "password_hash": make()})
            kinds.append(kind)
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    await import_file(services, io.BytesIO(data), "jsonl")
    timings: dict[str, list[float]] = {kind: [] for kind in schemes}
    timings["argon2id (an account's later sign-ins)"] = []
    for row, kind in zip(rows, kinds):
        user = await services.accounts.by_email(row["email"])
        started = time.perf_counter()
        assert await services.accounts.check_password(user.id, pw)
        timings[kind].append(time.perf_counter() - started)
        started = time.perf_counter()
        assert await services.accounts.check_password(user.id, pw)
        timings["argon2id (an account's later sign-ins)"].append(time.perf_counter() - started)
    return {kind: round(statistics.median(t) * 1000, 1) for kind, t in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="default: a scratch PostgreSQL database")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None, help="row-checking processes (default: as the command)")
    parser.add_argument("--file", type=Path, default=ROOT / "var" / "legacy-bench.jsonl")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON result here")
    args = parser.parse_args()

    args.file.parent.mkdir(exist_ok=True)
    started = time.perf_counter()
    generate(args.file, args.rows)
    generated = time.perf_counter() - started
    scratch = None
    url = args.database_url
    if url is None:
        scratch, url = _scratch_postgres()
    try:
        result = asyncio.run(run_import(url, args.file, args.rows, args.batch_size, args.workers))
    finally:
        if scratch:
            _drop_postgres(scratch)
    result["generate_seconds"] = round(generated, 1)
    result["load_average"] = [round(x, 1) for x in os.getloadavg()]
    result["machine"] = machine()
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    sys.exit(emit(result, args, table, lambda line: print(line, file=sys.stderr)))


def table(r: dict) -> str:
    lines = [
        f"{r['rows']:,} rows in {r['seconds']} s ({r['rows_per_second']:,} rows/s), batch {r['batch_size']}, "
        f"{r['workers']} checking process(es); importer CPU {r['importer_cpu_seconds']} s, PostgreSQL backends' CPU {r['postgres_backend_cpu_seconds']} s; load average {r['load_average']}",
        f"peak RSS: {r['peak_rss_mib'].get('100k', '-')} MiB at 100,000 rows, {r['peak_rss_mib']['end']} MiB at the end",
        f"summary: {r['summary']}",
        "check_password, median ms:",
    ]
    lines += [f"  {kind}: {ms}" for kind, ms in r["first_sign_in_ms"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
