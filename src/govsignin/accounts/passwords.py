"""Password hashing: argon2id at OWASP's parameters (m=19 MiB, t=2, p=1), off the event loop.

Hashes run on a pool of threads, by default this worker's share of the machine's cores
(`hashing_threads`), and those threads run at a lower scheduling priority (nice +10) than the
event loop's. argon2 releases the GIL while it hashes, so the
threads and the loop compete only for the cores, and the kernel gives the loop the core whenever
both want it: a burst of sign-ins uses every idle cycle for hashing, but cannot make token and
userinfo requests wait for the CPU (production-mode issue: token p99 while sign-ins saturate a
core). Where lowering a thread's priority is not possible, hashing still works at normal priority.

Memory: each hash mallocs one 19 MiB block. glibc serves it from the hashing thread's own arena and
keeps it after `free` (its dynamic mmap threshold rises to the block's size after the first one), so
each hashing thread holds one block for good and later hashes touch no fresh pages. That is the "19
MiB per concurrent hash" the memory budget allows on top of a worker's 100 MiB, and it is why the
pool is sized per worker, not per core: returning the block after every hash (mmap for each) cost ~2
ms of CPU per verification, the kernel zeroing 19 MiB each time (docs/performance.md, "argon2id on
its own threads at nice +10"). Every hash, including the start-up dummy one below, runs in the pool,
so no other thread keeps a block. Each thread asks for that block on huge pages
(accounts/huge_pages.py, GOVSIGNIN_ARGON2_HUGE_PAGES): the same hash for ~5 % less CPU.

The queue in front of the pool is bounded: at most `argon2_queue_per_thread` hashes wait for
each thread (64 by default: at ~20 ms a hash, at most ~1.3 s of waiting, and room for the
benchmark's 64 concurrent sign-ins on one thread). Past that a hash
is refused at once with `HashingBusy`, which the app answers with a 503 and Retry-After: a flood
of password posts gets quick refusals instead of a queue that grows without end, holding every
request (and its memory) for seconds, then minutes.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from govsignin.accounts.huge_pages import advise_this_threads_heap
from govsignin.config import Settings


class HashingBusy(RuntimeError):
    """Every hashing thread is busy and the queue in front of them is full: try again shortly."""

    retry_after = 1


class Passwords:
    def __init__(self, settings: Settings):
        self.hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        threads = hashing_threads(settings)
        # Hashes running or waiting; a hash past this is refused rather than queued.
        self.capacity = threads * (1 + max(0, settings.argon2_queue_per_thread))
        self.in_flight = 0
        self.pool = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="argon2",
            initializer=prepare_hashing_thread, initargs=(settings.argon2_huge_pages,),
        )
        # Verified when an email has no account, so both paths cost one argon2 verification.
        self._dummy = self.hash_sync("not-a-real-password-0")

    def hash_sync(self, password: str) -> str:
        """A hash from synchronous code (set-up, the command line), still on a hashing thread."""
        return self.pool.submit(self.hasher.hash, password).result()

    async def _on_pool(self, fn, *args):
        if self.in_flight >= self.capacity:
            raise HashingBusy()
        self.in_flight += 1  # one event loop per worker: no lock needed
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
        finally:
            self.in_flight -= 1

    async def hash(self, password: str) -> str:
        return await self._on_pool(self.hasher.hash, password)

    def _verify(self, encoded: str, password: str) -> bool:
        try:
            return self.hasher.verify(encoded, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify(self, encoded: str | None, password: str) -> bool:
        ok = await self._on_pool(self._verify, encoded or self._dummy, password)
        return ok and encoded is not None

    def needs_rehash(self, encoded: str) -> bool:
        return self.hasher.check_needs_rehash(encoded)


def hashing_threads(settings: Settings) -> int:
    """GOVSIGNIN_ARGON2_THREADS, or this worker's share of the cores: with `serve --workers N` on
    C cores, C // N each (at least one), so an instance hashes at most C passwords at once."""
    if settings.argon2_threads > 0:
        return settings.argon2_threads
    return max(1, (os.cpu_count() or 1) // max(1, settings.workers))


HASHING_NICENESS = 10  # CFS weight 110 against the loop's 1024: the loop wins a contended core ~9:1


def prepare_hashing_thread(huge_pages: bool = True) -> None:
    """Each hashing thread, once, before its first hash: a lower priority, its name, and its
    block's memory on huge pages. The bench's yardstick prepares its threads the same way, so
    that it times the hash exactly as the server runs it."""
    _lower_priority()
    advise_this_threads_heap(huge=huge_pages)


def _lower_priority() -> None:
    """Lower this hashing thread's priority (Linux: nice applies per thread, by thread id), and
    name it "argon2" for the system's tools (top -H, /proc/<pid>/task/<tid>/comm)."""
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + HASHING_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not permitted: hash at normal priority
        pass
    try:
        with open(f"/proc/self/task/{tid}/comm", "w") as comm:
            comm.write("argon2")
    except OSError:  # not Linux: the name is only a convenience
        pass
