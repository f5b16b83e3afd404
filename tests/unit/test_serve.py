"""`govsignin serve` prepares the database in a child process, then execs the lean serving
process (govsignin.serving), which tells its workers how many there are (docs/operations.md)."""

from __future__ import annotations

import socket
import subprocess
import time

from tests.support.live import GOVSIGNIN, ROOT, LiveServer
from tests.support.rawhttp import connect, read_response

UVICORN_DEFAULT_KEEP_ALIVE = 5  # seconds: shorter than any load balancer's idle timeout


def _idle_connection(server: LiveServer) -> socket.socket:
    """A keep-alive connection that has served one request and is now idle."""
    conn = connect(server.port, timeout=10)
    _request(conn)
    return conn


def _request(conn: socket.socket) -> None:
    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    head, _, rest = read_response(conn)  # the whole response: nothing left to confuse the next
    assert head.startswith(b"HTTP/1.1 200") and rest == b"", head[:100]


def _closed_by_server(conn: socket.socket, within: float) -> bool:
    conn.settimeout(within)
    try:
        return conn.recv(1) == b""
    except TimeoutError:
        return False


def _environ(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [item.decode(errors="replace").partition("=") for item in f.read().split(b"\0") if item]
    return {k: v for k, _, v in pairs}


def _serving(server: LiveServer) -> tuple[str, dict, str]:
    pid = server.process.pid  # exec keeps the process id the supervisor (here: the test) knows
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        cmdline = f.read().replace(b"\0", b" ").decode()
    with open(f"/proc/{pid}/maps") as f:
        maps = f.read()
    return cmdline, _environ(pid), maps


def test_serve_migrates_then_serves_in_the_lean_process(tmp_path):
    server = LiveServer(database_url=f"sqlite+aiosqlite:///{tmp_path}/serve.db").start()
    try:
        idle, since = _idle_connection(server), time.monotonic()
        cmdline, environ, maps = _serving(server)
        assert "-m govsignin.serving 127.0.0.1" in cmdline
        assert environ["GOVSIGNIN_WORKERS"] == "1"  # each worker's share of the cores (argon2id threads)
        assert "pydantic_core" not in maps  # typer's pydantic (a compiled module) stayed in the CLI
        assert server.cli("keys", "list")  # the child created the keys before serving began
        # An idle connection outlives uvicorn's default keep-alive (GOVSIGNIN_KEEP_ALIVE_SECONDS,
        # 75 s, outlasts a load balancer's 60 s idle timeout), and still serves.
        time.sleep(max(0.0, UVICORN_DEFAULT_KEEP_ALIVE + 1 - (time.monotonic() - since)))
        _request(idle)
        idle.close()
    finally:
        server.stop()


def test_keep_alive_is_the_operators_setting(tmp_path):
    server = LiveServer(database_url=f"sqlite+aiosqlite:///{tmp_path}/serve.db",
                        extra_env={"GOVSIGNIN_KEEP_ALIVE_SECONDS": "1"}).start()
    try:
        idle = _idle_connection(server)
        assert _closed_by_server(idle, within=4)
        idle.close()
    finally:
        server.stop()


def test_a_keep_alive_that_is_not_a_positive_number_stops_serve_before_it_starts(tmp_path):
    server = LiveServer(database_url=f"sqlite+aiosqlite:///{tmp_path}/serve.db",
                        extra_env={"GOVSIGNIN_KEEP_ALIVE_SECONDS": "0"})
    result = subprocess.run([GOVSIGNIN, "serve", "--port", str(server.port)], env=server.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "GOVSIGNIN_KEEP_ALIVE_SECONDS" in result.stdout + result.stderr


def test_hashing_threads_are_the_workers_share_of_the_cores(monkeypatch):
    from govsignin.accounts.passwords import hashing_threads
    from govsignin.config import Settings

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert hashing_threads(Settings(workers=1)) == 8
    assert hashing_threads(Settings(workers=4)) == 2
    assert hashing_threads(Settings(workers=16)) == 1  # never none
    assert hashing_threads(Settings(workers=4, argon2_threads=3)) == 3  # the operator's choice wins


def test_serving_in_a_wrapper_stays_in_process():
    from govsignin.cli.serve import _started_as_govsignin

    assert not _started_as_govsignin()  # pytest is the program here, not govsignin
