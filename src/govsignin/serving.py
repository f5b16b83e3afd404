"""The serving process: uvicorn with `govsignin.asgi:app`, and nothing of the command line.

`govsignin serve` prepares the database (cli.py), then replaces itself (exec, same process id)
with `python -m govsignin.serving HOST PORT WORKERS`, so the process that serves (with one
worker, the worker; with more, uvicorn's supervisor) does not carry typer, click, rich and
pydantic (~12 MiB), and starts with glibc's malloc set for argon2id (MALLOC_TUNABLES, below).
docs/performance.md ("Memory per worker") has the figures.
"""

from __future__ import annotations

import os
import sys

# glibc's malloc in the serving process and its workers. Each argon2id hash mallocs one 19 MiB
# block. By default glibc mmaps the first, then raises its mmap threshold to that size, so later
# blocks come from the heap of whichever thread hashed and stay resident after free: ~45 MiB per
# worker (one per argon2 thread, plus the start-up hash's). A fixed 4 MiB threshold keeps such
# blocks mmapped, so free returns them to the system; hugetlb=1 asks for transparent huge pages
# for them, so bringing 19 MiB in costs ~10 page faults instead of ~4,900 (what remains is the
# kernel zeroing the pages: ~1-2 ms per hash on this machine).
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=4194304:glibc.malloc.hugetlb=1"


def environment() -> dict[str, str]:
    """This process's environment plus MALLOC_TUNABLES in GLIBC_TUNABLES (glibc reads it only at
    process start), unless the operator set glibc.malloc tunables of their own."""
    env = dict(os.environ)
    tunables = env.get("GLIBC_TUNABLES", "")
    if "glibc.malloc." not in tunables:
        env["GLIBC_TUNABLES"] = f"{tunables}:{MALLOC_TUNABLES}" if tunables else MALLOC_TUNABLES
    return env


def exec_serve(host: str, port: int, workers: int) -> None:
    """Replace this process with the serving one (does not return)."""
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, "-m", "govsignin.serving", host, str(port), str(workers)]
    os.execve(sys.executable, argv, environment())


def serve(host: str, port: int, workers: int) -> None:
    import uvicorn

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
