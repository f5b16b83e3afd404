"""The provider under measurement: a fresh database, `govsignin serve` as its own process, and
that process's CPU time read from /proc (user + system, every thread, living or exited)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PG = dict(host="127.0.0.1", port=5432, user="postgres")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat_cpu_ticks(stat: str) -> int:
    """utime + stime from the text of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat."""
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; fields[0] is state
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))


def _proc_cpu_ticks(pid: int) -> int:
    """utime + stime of one process (all its threads, including threads that have exited)."""
    with open(f"/proc/{pid}/stat") as f:
        return _stat_cpu_ticks(f.read())


def threads_cpu_seconds(pid: int, name: str) -> float:
    """CPU seconds used so far by the living threads of `pid` whose name (comm) is `name`: the
    hashing threads are named "argon2" (accounts/passwords.py) and live as long as the server,
    so this is the password hashes' own CPU, as the server ran them."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited meanwhile
        if stat[stat.index("(") + 1 : stat.rindex(")")] == name:
            total += _stat_cpu_ticks(stat)
    return total / CLK_TCK


def threads_named(pid: int, name: str) -> int:
    """How many living threads of `pid` are named `name` (comm)."""
    count = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                count += f.read().strip() == name
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited meanwhile
    return count


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except FileNotFoundError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    kids = [int(c) for c in f.read().split()]
            except FileNotFoundError:
                continue
            found += kids
            todo += kids
    return found


def cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by the server process and any processes it started."""
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            total += _proc_cpu_ticks(p)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / CLK_TCK


@contextmanager
def server_on_cpu0(pid: int):
    """For a latency or per-request CPU measurement: every thread of the server `pid` on CPU 0
    and this process (the load generator) on CPU 1, so neither takes the other's core; nothing
    is pinned on a one-CPU machine. Yields whether it pinned."""
    every = set(range(os.cpu_count() or 1))
    pinned = len(every) >= 2
    if pinned:
        _pin(pid, {0})
        os.sched_setaffinity(0, {1})
    try:
        yield pinned
    finally:
        if pinned:
            _pin(pid, every)
            os.sched_setaffinity(0, every)


def _pin(pid: int, cpus: set[int]) -> None:
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except (ProcessLookupError, OSError):
            pass


# --- databases -------------------------------------------------------------------------------


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(database="postgres", timeout=5, **PG)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@dataclass
class Database:
    kind: str  # "sqlite" or "postgresql"
    url: str = ""
    _name: str = ""
    _tmp: object = None

    def create(self) -> Database:
        if self.kind == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix="govsignin-bench-")
            self.url = f"sqlite+aiosqlite:///{self._tmp.name}/govsignin.db"
        else:
            self._name = f"govsignin_bench_{uuid.uuid4().hex[:12]}"
            asyncio.run(_pg_admin(f'CREATE DATABASE "{self._name}"'))
            self.url = f"postgresql+asyncpg://{PG['user']}@{PG['host']}:{PG['port']}/{self._name}"
        return self

    def drop(self) -> None:
        if self.kind == "sqlite" and self._tmp:
            self._tmp.cleanup()
        elif self._name:
            try:
                asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)'))
            except Exception as exc:  # leave a note, never hide the results
                print(f"bench: could not drop database {self._name}: {exc}", file=sys.stderr)


# --- the server ------------------------------------------------------------------------------


@dataclass
class Server:
    database_url: str
    port: int = field(default_factory=free_port)
    cprofile: str | None = None  # write a cProfile of the server here (inflates CPU figures)
    redis_url: str | None = None  # GOVSIGNIN_REDIS_URL: the Redis store (production mode's)
    switch_interval: float | None = None  # sys.setswitchinterval in the server (an experiment)
    workers: int = 1  # `serve --workers N` (uvicorn's supervisor plus N worker processes when N > 1)
    argon2_threads: int = 0  # GOVSIGNIN_ARGON2_THREADS (0: the server's default, the cores per worker)
    argon2_huge_pages: bool = True  # GOVSIGNIN_ARGON2_HUGE_PAGES (the server's default: on)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSIGNIN_")}
        env.update(
            GOVSIGNIN_ENV="development",
            GOVSIGNIN_DATABASE_URL=self.database_url,
            GOVSIGNIN_ISSUER=self.url,
            GOVSIGNIN_PORT=str(self.port),
        )
        if self.redis_url:
            env["GOVSIGNIN_REDIS_URL"] = self.redis_url
        if self.argon2_threads:
            env["GOVSIGNIN_ARGON2_THREADS"] = str(self.argon2_threads)
        if not self.argon2_huge_pages:
            env["GOVSIGNIN_ARGON2_HUGE_PAGES"] = "false"
        return env

    def settings(self):
        """The same settings the server process reads from env(), for in-process setup."""
        from govsignin.config import Settings

        return Settings(env="development", database_url=self.database_url, issuer=self.url, port=self.port,
                        redis_url=self.redis_url, argon2_threads=self.argon2_threads, workers=self.workers,
                        argon2_huge_pages=self.argon2_huge_pages)

    def start(self, timeout: float = 60) -> Server:
        cmd = [sys.executable, "-m", "govsignin", "serve", "--port", str(self.port), "--workers", str(self.workers)]
        if self.cprofile:
            cmd[1:1] = ["-m", "cProfile", "-o", self.cprofile]
        if self.switch_interval:
            cmd = [sys.executable, "-c", f"import sys; sys.setswitchinterval({self.switch_interval}); "
                   f"sys.argv = ['govsignin', 'serve', '--port', '{self.port}', '--workers', '{self.workers}']; "
                   "from govsignin.cli import main; main()"]
        (ROOT / "var").mkdir(exist_ok=True)
        self._log = open(ROOT / "var" / f"bench-{self.port}.log", "w")
        self.process = subprocess.Popen(cmd, env=self.env(), cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"govsignin serve exited with {self.process.returncode}; see var/bench-{self.port}.log")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("govsignin serve did not become healthy in time")

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def hashing_cpu_seconds(self) -> float:
        """The argon2 hashing threads' CPU so far (one worker: `serve --workers 1`)."""
        return threads_cpu_seconds(self.process.pid, "argon2")

    def hashing_threads(self) -> int:
        """How many hashing threads the server runs (one worker)."""
        return threads_named(self.process.pid, "argon2")

    def huge_pages_kib(self) -> int:
        """The server's anonymous memory on transparent huge pages (the hashing threads' blocks)."""
        from govsignin.accounts.huge_pages import anon_huge_pages_kib

        return anon_huge_pages_kib(self.process.pid)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly (cProfile writes)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if getattr(self, "_log", None):
            self._log.close()
