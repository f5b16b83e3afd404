"""The serving process: uvicorn with `govsignin.asgi:app`, and nothing of the command line.

`govsignin serve` prepares the database (cli/serve.py), then replaces itself (exec, same process id)
with `python -m govsignin.serving HOST PORT WORKERS KEEP_ALIVE`, so the process that serves (with one
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


def exec_serve(host: str, port: int, workers: int, keep_alive: int) -> None:
    """Replace this process with the serving one (does not return)."""
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, "-m", "govsignin.serving", host, str(port), str(workers), str(keep_alive)]
    os.execve(sys.executable, argv, environment(workers))


def serve(host: str, port: int, workers: int, keep_alive: int) -> None:
    """`keep_alive`: seconds an idle connection stays open (GOVSIGNIN_KEEP_ALIVE_SECONDS). It must
    outlast the load balancer's own idle timeout (60 s on AWS's and Google's, nginx's upstream
    keepalive_timeout 60 s): if uvicorn (5 s by default) closes first, a request the balancer
    sends down the closing connection is lost and the citizen gets a 502. Longer-lived
    connections also save the TCP and HTTP set-up a request would otherwise pay."""
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
        timeout_keep_alive=keep_alive,
        http="govsignin.web.protocol:OneWriteHttpToolsProtocol",  # a response's head and body in one write
    )


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
