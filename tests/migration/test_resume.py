"""Killing `govsignin accounts import` midway (SIGKILL after some batches) leaves whole batches
only, and running it again gives exactly one account per row."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import uuid

from sqlalchemy import func, select

from govsignin.accounts.models import User
from govsignin.migration.models import LegacyAccount
from tests.migration.legacy_files import legacy_hash
from tests.support.live import GOVSIGNIN, ROOT

ROWS, BATCH = 12_000, 100


async def counts(services, system: str, tag: str) -> tuple[int, int]:
    async with services.engine.connect() as conn:
        legacy = (await conn.execute(
            select(func.count()).select_from(LegacyAccount).where(LegacyAccount.legacy_system == system))).scalar_one()
        users = (await conn.execute(
            select(func.count()).select_from(User).where(User.email.like(f"kill-{tag}-%")))).scalar_one()
    return legacy, users


async def test_a_killed_import_leaves_whole_batches_and_a_rerun_finishes_it(services, live_server, tmp_path):
    tag, system = uuid.uuid4().hex[:8], f"old-{uuid.uuid4().hex[:8]}"
    old_hash = legacy_hash("md5_crypt")
    source = tmp_path / "accounts.jsonl"
    with source.open("w") as out:
        for n in range(ROWS):
            out.write(json.dumps({"email": f"kill-{tag}-{n}@example.com", "email_verified": True,
                                  "password_hash": old_hash, "legacy_system": system, "legacy_id": str(n)}) + "\n")
    command = [GOVSIGNIN, "accounts", "import", str(source), "--batch-size", str(BATCH), "--json"]

    process = subprocess.Popen(command, env=live_server.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        legacy, _ = await counts(services, system, tag)
        if legacy >= 10 * BATCH:
            break
        await asyncio.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert process.returncode == -signal.SIGKILL, "the import finished before it could be killed"

    legacy, users = await counts(services, system, tag)
    assert 0 < legacy < ROWS
    assert legacy % BATCH == 0 and users == legacy  # whole batches only: nothing half-written

    rerun = subprocess.run(command, env=live_server.env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert (summary["skipped"], summary["imported"], summary["rejected"], summary["unlinked"]) == (legacy, ROWS - legacy, 0, 0)
    assert await counts(services, system, tag) == (ROWS, ROWS)  # exactly one account per row
