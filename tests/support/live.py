"""A real provider process (`govsignin serve`) for tests that need a live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
        if self.process and self.process.poll() is None:
            (self.process.kill if kill else self.process.terminate)()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
