"""Checking rows on other cores while the importer writes (migration/importer.py).

Cutting the file into records is cheap and stays in order in the importer's process; checking a
record (JSON, email, phone number, hash format) is most of an import's CPU, so chunks of records
go to worker processes. At most `workers * AHEAD` chunks are in flight, so memory stays flat
whatever the file's size, and results come back in file order.
"""

from __future__ import annotations

import asyncio
import collections
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import AsyncIterator, BinaryIO

from govsignin.migration.rows import Rejected, Row, check_chunk, raw_records, read_rows

CHUNK = 1000  # records per task
AHEAD = 8  # tasks in flight per worker (8,000 rows: the worker keeps on while a batch is written)
PARALLEL_FROM_BYTES = 4 * 1024 * 1024  # smaller files are checked in process: no start-up cost


def default_workers(file_bytes: int) -> int:
    if file_bytes < PARALLEL_FROM_BYTES:
        return 0
    return max(1, min(4, (os.cpu_count() or 1) - 1))


async def checked_rows(stream: BinaryIO, fmt: str, workers: int) -> AsyncIterator[Row | Rejected]:
    if workers <= 0:
        for item in read_rows(stream, fmt):
            yield item
        return
    loop = asyncio.get_running_loop()
    # spawn, not fork: the importer's process holds database connections and an event loop.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: collections.deque = collections.deque()
        chunk: list = []
        for item in raw_records(stream, fmt):
            chunk.append(item)
            if len(chunk) >= CHUNK:
                pending.append(loop.run_in_executor(pool, check_chunk, fmt, chunk))
                chunk = []
                if len(pending) >= workers * AHEAD:
                    for row in await pending.popleft():
                        yield row
        if chunk:
            pending.append(loop.run_in_executor(pool, check_chunk, fmt, chunk))
        while pending:
            for row in await pending.popleft():
                yield row
