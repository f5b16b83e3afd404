"""argon2id runs off the event loop, on threads the kernel ranks below the loop."""

import asyncio
import os
import sys
import threading

import pytest

from govsignin.accounts.huge_pages import kernel_mode
from govsignin.accounts.passwords import HASHING_NICENESS, Passwords
from govsignin.config import Settings


@pytest.fixture
def passwords():
    p = Passwords(Settings())
    yield p
    p.pool.shutdown(wait=True)


async def test_hash_and_verify_at_the_configured_parameters(passwords):
    encoded = await passwords.hash("correct horse battery staple")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await passwords.verify(encoded, "correct horse battery staple")
    assert not await passwords.verify(encoded, "correct horse battery stapler")
    assert not await passwords.verify("not-a-hash", "anything")
    # No account: the dummy hash is verified (same cost) and the answer is still no.
    assert not await passwords.verify(None, "not-a-real-password-0")


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice is Linux behaviour")
async def test_hashing_threads_run_below_the_event_loop(passwords):
    loop_tid = threading.get_native_id()
    loop_nice = os.getpriority(os.PRIO_PROCESS, loop_tid)

    def where() -> tuple[int, int]:
        tid = threading.get_native_id()
        return tid, os.getpriority(os.PRIO_PROCESS, tid)

    tid, nice = await asyncio.get_running_loop().run_in_executor(passwords.pool, where)
    assert tid != loop_tid
    assert nice == min(19, loop_nice + HASHING_NICENESS)
    assert os.getpriority(os.PRIO_PROCESS, loop_tid) == loop_nice  # the loop itself is untouched


_BLOCK_ON_PAGES = """
import sys
from govsignin.accounts.huge_pages import anon_huge_pages_kib
from govsignin.accounts.passwords import Passwords
from govsignin.config import Settings
p = Passwords(Settings(argon2_threads=1, argon2_memory_kib=19456, argon2_huge_pages=sys.argv[1] == "on"))
for _ in range(3):  # the first block is mmapped and given back; later ones stay in the thread's arena
    assert p.hash_sync("a password") != ""
print(anon_huge_pages_kib())
"""


@pytest.mark.skipif(kernel_mode() in (None, "never"),
                    reason="transparent huge pages are a Linux kernel feature, switched off here")
def test_a_hashing_threads_block_lies_on_huge_pages_unless_switched_off():
    """accounts/huge_pages.py: each hashing thread's kept 19 MiB block on 2 MiB pages (most of it:
    the heap grows page by page, so its last partial 2 MiB stays on small pages)."""
    import subprocess

    def huge_kib(setting: str) -> int:
        proc = subprocess.run([sys.executable, "-c", _BLOCK_ON_PAGES, setting], capture_output=True, text=True,
                              timeout=120, check=True)
        return int(proc.stdout.strip())

    on, off = huge_kib("on"), huge_kib("off")
    assert off <= (on - 12 * 1024 if kernel_mode() == "always" else 0), (on, off)  # "always": other memory too
    assert on >= 12 * 1024, on  # of the 19 MiB block


def test_a_thread_without_an_arena_of_its_own_is_left_alone():
    """On the main thread glibc's main arena (sbrk) holds the memory: no thread heap to advise."""
    from govsignin.accounts.huge_pages import advise_this_threads_heap

    assert threading.current_thread() is threading.main_thread()
    assert advise_this_threads_heap() is False
