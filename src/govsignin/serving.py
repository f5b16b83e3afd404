"""The serving process: uvicorn with `govsignin.asgi:app`, and nothing of the command line.

`govsignin serve` prepares the database (cli.py), then replaces itself (exec, same process id)
with `python -m govsignin.serving HOST PORT WORKERS`, so the process that serves (with one
worker, the worker; with more, uvicorn's supervisor) does not carry typer, click, rich and
pydantic (~12 MiB). docs/performance.md ("Memory per worker") has the figures.
"""

from __future__ import annotations

import os
import sys


def environment(workers: int) -> dict[str, str]:
    """This process's environment, plus GOVSIGNIN_WORKERS so that each worker sizes its share of
    the machine (the argon2id hashing threads, accounts/passwords.py)."""
    return {**os.environ, "GOVSIGNIN_WORKERS": str(workers)}


def exec_serve(host: str, port: int, workers: int) -> None:
    """Replace this process with the serving one (does not return)."""
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, "-m", "govsignin.serving", host, str(port), str(workers)]
    os.execve(sys.executable, argv, environment(workers))


def serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    os.environ["GOVSIGNIN_WORKERS"] = str(workers)  # already so after exec_serve; kept for workers

    uvicorn.run(
        "govsignin.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=True,
        server_header=False,
        date_header=False,
    )


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
