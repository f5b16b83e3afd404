"""argon2id runs off the event loop, on threads the kernel ranks below the loop."""

import asyncio
import os
import sys
import threading

import pytest

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
