"""`govsignin serve`: prepare the database in a short-lived child, then serve."""

from __future__ import annotations

import sys

import typer

from govsignin.cli.common import err, fail, run
from govsignin.config import InsecureSettings, check_production, get_settings


def _started_as_govsignin() -> bool:
    """True when this process is the plain `govsignin` command (console script or `python -m
    govsignin`), not the CLI run inside a wrapper (a profiler, `python -c`, a test runner)."""
    import os

    argv = getattr(sys, "orig_argv", [])
    return len(argv) > 1 and (argv[1:3] == ["-m", "govsignin"] or os.path.basename(argv[1]) == "govsignin")


def _prepare(settings) -> None:
    """Before serving: migrate the schema (not in production, where `govsignin db upgrade` is a
    release step) and make sure signing keys exist."""
    if settings.env != "production":
        from govsignin.db import migrate

        migrate.upgrade(settings)
    run(lambda s: s.ensure_keys())


def _in_child(fn) -> None:
    """Run fn in a short-lived forked process and exit with its status if it fails.

    `serve` prepares the database this way so the process that goes on to serve (with one
    worker, the worker itself) never imports Alembic and the whole application, nor keeps what a
    migration allocates: about 30 MiB of resident memory per server (docs/performance.md,
    "Memory per worker")."""
    import os

    if not hasattr(os, "fork"):  # not POSIX: in this process
        fn()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fn()
            code = 0
        except typer.Exit as exc:
            code = exc.exit_code
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise typer.Exit(code if code > 0 else 1)



def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(None, help="Port (default: GOVSIGNIN_PORT or 8000)."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
):
    """Serve the provider."""
    import os

    settings = get_settings()
    if port is not None and settings.port != port:
        os.environ["GOVSIGNIN_PORT"] = str(port)
        get_settings.cache_clear()
        settings = get_settings()
    try:
        check_production(settings)
    except InsecureSettings as exc:
        fail(str(exc))
    if settings.keep_alive_seconds < 1:
        fail("GOVSIGNIN_KEEP_ALIVE_SECONDS must be a whole number of seconds, at least 1 (default 75).")
    _in_child(lambda: _prepare(settings))
    err.print(f"govsignin serving {settings.issuer_url()} on {host}:{settings.port} ({workers} worker(s))")
    from govsignin import serving

    if _started_as_govsignin() and hasattr(os, "execve"):
        serving.exec_serve(host, settings.port, workers, settings.keep_alive_seconds)  # same pid; no return
    serving.serve(host, settings.port, workers, settings.keep_alive_seconds)  # in a wrapper (a profiler): here
