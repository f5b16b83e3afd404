"""`govsignin serve` prepares the database in a child process, then execs the lean serving
process (govsignin.serving), which tells its workers how many there are (docs/operations.md)."""

from __future__ import annotations

from tests.support.live import LiveServer


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
        cmdline, environ, maps = _serving(server)
        assert "-m govsignin.serving 127.0.0.1" in cmdline
        assert environ["GOVSIGNIN_WORKERS"] == "1"  # each worker's share of the cores (argon2id threads)
        assert "pydantic_core" not in maps  # typer's pydantic (a compiled module) stayed in the CLI
        assert server.cli("keys", "list")  # the child created the keys before serving began
    finally:
        server.stop()


def test_hashing_threads_are_the_workers_share_of_the_cores(monkeypatch):
    from govsignin.accounts.passwords import hashing_threads
    from govsignin.config import Settings

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert hashing_threads(Settings(workers=1)) == 8
    assert hashing_threads(Settings(workers=4)) == 2
    assert hashing_threads(Settings(workers=16)) == 1  # never none
    assert hashing_threads(Settings(workers=4, argon2_threads=3)) == 3  # the operator's choice wins


def test_serving_in_a_wrapper_stays_in_process():
    from govsignin.cli import _started_as_govsignin

    assert not _started_as_govsignin()  # pytest is the program here, not govsignin
