"""A real provider process (`govsignin serve`) for tests that need a live server."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
GOVSIGNIN = str(Path(sys.executable).parent / "govsignin")


def base_env(database_url: str, port: int, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSIGNIN_")}
    env.update(
        GOVSIGNIN_ENV="test",
        GOVSIGNIN_DATABASE_URL=database_url,
        GOVSIGNIN_ISSUER=f"http://localhost:{port}",
        GOVSIGNIN_PORT=str(port),
        GOVSIGNIN_KEY_CACHE_SECONDS="0.5",
        GOVSIGNIN_WORKER_POLL_SECONDS="0.5",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


class CliFailed(Exception):
    def __init__(self, args, returncode, stderr):
        super().__init__(f"govsignin {' '.join(args)} exited {returncode}: {stderr.strip()}")
        self.returncode, self.stderr = returncode, stderr


def run_cli(env: dict, *args: str):
    proc = subprocess.run([GOVSIGNIN, *args, "--json"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    if proc.returncode != 0:
        raise CliFailed(args, proc.returncode, proc.stderr)
    return json.loads(proc.stdout)


class _DatabaseReader:
    """Reads the live server's database from the test process, on a thread with its own event
    loop (the tests' own loop may be busy driving Chromium). A `govsignin outbox` subprocess
    costs ~1 s of interpreter start and imports; the browser walks read the outbox ~160 times."""

    def __init__(self, database_url: str):
        from govsignin.config import Settings
        from govsignin.db.engine import create_engine, create_sessionmaker

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-db-reader", daemon=True)
        self.thread.start()
        self.engine = create_engine(Settings(env="test", database_url=database_url))
        self.sessionmaker = create_sessionmaker(self.engine)

    def run(self, coro_fn, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro_fn(self), self.loop).result(timeout)

    def close(self) -> None:
        try:
            self.run(lambda reader: reader.engine.dispose())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@dataclass
class LiveServer:
    database_url: str
    port: int = field(default_factory=free_port)
    extra_env: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def env(self) -> dict:
        return base_env(self.database_url, self.port, **self.extra_env)

    def cli(self, *args: str):
        return run_cli(self.env, *args)

    def last_message(self, to: str) -> dict | None:
        """The newest email or text message to `to` in the development outbox, as
        `govsignin outbox --to TO --last --json` prints it (tests/unit/test_cli.py compares them)."""
        from govsignin.messaging.outbox import read_outbox

        if getattr(self, "_reader", None) is None:
            self._reader = _DatabaseReader(self.database_url)
        from govsignin.messaging.outbox import settle

        self._reader.run(settle)  # the page's messages go out just after its response
        rows = self._reader.run(lambda reader: read_outbox(reader, to, last=True))
        return rows[0] if rows else None

    def start(self, timeout: float = 60) -> LiveServer:
        self.log = open(ROOT / "var" / f"live-{self.port}.log", "w") if (ROOT / "var").exists() else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [GOVSIGNIN, "serve", "--port", str(self.port)], env=self.env, cwd=ROOT,
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"govsignin serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("govsignin serve did not become healthy in time")

    def stop(self, kill: bool = False) -> None:
        if getattr(self, "_reader", None) is not None:
            self._reader.close()
            self._reader = None
        if self.process and self.process.poll() is None:
            (self.process.kill if kill else self.process.terminate)()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
