"""Transparent huge pages for a hashing thread's 19 MiB argon2 block (Linux, glibc).

argon2id reads its reference blocks at data-dependent places all over its 19 MiB, so on 4 KiB
pages most reads miss the TLB (4,864 pages, against a second-level TLB of a few thousand
entries) and wait for a page walk. On 2 MiB pages the block is ten pages. Measured on this
project's host, the same verification on two threads of one process, one block on 2 MiB pages
and one on 4 KiB, alternating (`python -m bench.probes.hashing`): 0.95 of the CPU, median of five
runs (0.93–0.97; docs/performance.md, "Huge pages for argon2id's block"). A small saving, for
one system call per thread.
Nothing about the hash changes: same parameters, same library, same output.

How: each hashing thread mallocs its block from its own glibc arena and keeps it
(accounts/passwords.py). A thread arena's heap is one mapping aligned to its maximum size
(HEAP_MAX_SIZE, 64 MiB on 64-bit), so the thread finds its own heap from any small allocation
of its own, and advises the kernel to back it with huge pages (MADV_HUGEPAGE) before the block is
first touched. That works with the kernel's THP setting at `madvise` (a common default) as well
as `always`, and does nothing at `never`. Switched off (GOVSIGNIN_ARGON2_HUGE_PAGES=false), the
thread advises the opposite (MADV_NOHUGEPAGE), so the block stays on 4 KiB pages even at `always`.

Anything unexpected (another OS or C library, a kernel without THP, a heap not where glibc puts
it) leaves the thread on ordinary pages: hashing works the same, a little slower."""

from __future__ import annotations

import ctypes
import os
import sys

HEAP_MAX_SIZE = 64 << 20  # glibc's thread-arena heap size and alignment on 64-bit
MADV_HUGEPAGE, MADV_NOHUGEPAGE = 14, 15  # <sys/mman.h> on Linux


def advise_this_threads_heap(huge: bool = True) -> bool:
    """Ask for huge pages (or, with huge=False, for none) on the calling thread's glibc arena
    heap. True if the kernel took the advice (it may still give small pages if it has no huge
    page free at the moment)."""
    if sys.platform != "linux" or not _glibc() or ctypes.sizeof(ctypes.c_void_p) != 8:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        libc.free.argtypes = [ctypes.c_void_p]
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        probe = libc.malloc(64)  # from this thread's arena, wherever its 19 MiB block will live
        if not probe:
            return False
        libc.free(probe)
        heap = probe & ~(HEAP_MAX_SIZE - 1)
        if not _anonymous_mapping_starts_at(heap):
            return False  # the main arena (sbrk) or a layout this code does not know: leave it
        return libc.madvise(heap, HEAP_MAX_SIZE, MADV_HUGEPAGE if huge else MADV_NOHUGEPAGE) == 0
    except (OSError, AttributeError, ValueError):
        return False


def _glibc() -> bool:
    """The C library this process runs on is glibc (its arenas are what this module knows)."""
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):  # musl and others do not name themselves
        return False


def _anonymous_mapping_starts_at(address: int) -> bool:
    start = f"{address:08x}-"
    with open("/proc/self/maps") as maps:
        return any(line.startswith(start) and len(line.split()) == 5 for line in maps)


def anon_huge_pages_kib(pid: int | str = "self") -> int:
    """How much of a process's anonymous memory is on transparent huge pages (kB, the kernel's
    AnonHugePages), 0 where the kernel does not say."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("AnonHugePages:")), 0)
    except OSError:
        return 0


def kernel_mode() -> str | None:
    """The kernel's THP setting ("always", "madvise" or "never"), None where it has none."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return f.read().split("[", 1)[1].split("]", 1)[0]
    except (OSError, IndexError):
        return None
