"""The argon2id yardstick: one verification at the server's parameters, timed in this process.

Used by `bench.steps` (between its steps) and `bench.probes.hashing` (on its own, for capacity
planning on the target machine).
"""

from __future__ import annotations

import statistics
import threading
import time

from bench import load


class Yardstick:
    """One argon2id verification at the server's parameters, timed in this process by thread CPU
    time, in slices: `take()` runs, on each of `at_once` threads at the same moment, one untimed
    verification and then `per_slice` timed ones, and keeps the mean per verification. A run takes
    a slice before its first step and after each step, so the figure follows the host's drift
    through the run; the figure is the median slice, and `spread_ms` shows how far the slices of
    one run were apart.

    - The untimed one makes each slice back to back: the first verification after a step finds
      its 19 MiB block paged out or reused by the step's allocations (one such slice measured
      124 ms).
    - `at_once=1` is the yardstick the issue names, one verification alone. With `at_once` equal to
      the server's hashing threads, it is the same verification as the server runs it at load:
      that many 19 MiB blocks at once, which on this host's 32 MiB L3 cost each other ~8 %.
    - Alone or at once, it runs on threads that live as long as the yardstick and are prepared
      as the server's hashing threads are (`prepare_hashing_thread`: each keeps its block, on huge
      pages unless GOVSIGNIN_ARGON2_HUGE_PAGES=false). Not the bench's main thread: glibc's main
      arena keeps its block on 4 KiB pages, and with the server on huge pages that would be a
      slower floor than the server's own, and a ratio that flatters."""

    def __init__(self, settings, per_slice: int, at_once: int = 1):
        from govsignin.accounts.passwords import Passwords

        # The hashing pool itself, with `at_once` threads: prepared as the server's are. Kept for
        # the yardstick's life, so no other yardstick's thread inherits its glibc arena (and
        # with it a block already on huge or small pages) when its thread ends.
        passwords = Passwords(settings.model_copy(update={"argon2_threads": at_once}))
        self.hasher, self.per_slice, self.at_once, self.slices = passwords.hasher, max(1, per_slice), at_once, []
        self.encoded = passwords.hash_sync(load.PASSWORD)
        self.pool = passwords.pool

    def _slice(self, together: threading.Barrier) -> float:
        together.wait()  # all threads hash at the same moment, as the server's do at load
        self.hasher.verify(self.encoded, load.PASSWORD)
        start = time.thread_time()
        for _ in range(self.per_slice):
            self.hasher.verify(self.encoded, load.PASSWORD)
        return (time.thread_time() - start) / self.per_slice

    def take(self) -> None:
        together = threading.Barrier(self.at_once)
        threads = [self.pool.submit(self._slice, together) for _ in range(self.at_once)]
        self.slices.append(statistics.fmean(t.result() for t in threads))

    def close(self) -> None:
        self.pool.shutdown()

    @property
    def ms(self) -> float:
        return 1000 * statistics.median(self.slices)

    @property
    def spread_ms(self) -> tuple[float, float]:
        return 1000 * min(self.slices), 1000 * max(self.slices)
