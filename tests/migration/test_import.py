"""`govsignin accounts import`: every supported hash format, bad rows with reasons, idempotent
re-runs, dry runs, email collisions, on SQLite and PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from sqlalchemy import func, select

from govsignin.accounts.models import MfaMethod, PasswordCredential, User
from govsignin.migration.importer import run_import
from govsignin.migration.models import LegacyAccount
from tests.migration.legacy_files import HASHERS, csv_bytes, jsonl, legacy_hash, one_row_per_format
from tests.support.live import run_cli


def system() -> str:
    return f"old-{uuid.uuid4().hex[:8]}"


def email(tag: str = "") -> str:
    return f"legacy-{tag}{uuid.uuid4().hex[:10]}@example.com"


async def imported(services, data: bytes, fmt: str = "jsonl", **kwargs):
    rejects = io.BytesIO()
    summary = await run_import(services, io.BytesIO(data), fmt, rejects_out=rejects, **kwargs)
    lines = [json.loads(line) for line in rejects.getvalue().splitlines()]
    return summary, lines


async def account(services, address: str):
    async with services.sessionmaker() as db:
        user = (await db.execute(select(User).where(User.email == address))).scalar_one_or_none()
        if user is None:
            return None, None, []
        password = await db.get(PasswordCredential, user.id)
        methods = (await db.execute(select(MfaMethod).where(MfaMethod.user_id == user.id))).scalars().all()
        return user, password, methods


async def legacy_rows(services, legacy_system: str) -> list[LegacyAccount]:
    async with services.sessionmaker() as db:
        return list((await db.execute(
            select(LegacyAccount).where(LegacyAccount.legacy_system == legacy_system).order_by(LegacyAccount.row_number)
        )).scalars())


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_every_supported_format_is_imported_verbatim_with_its_phone_and_authenticator_app(services, fmt):
    name = system()
    rows = one_row_per_format(name)
    data = jsonl(rows) if fmt == "jsonl" else csv_bytes(rows)
    summary, rejects = await imported(services, data, fmt)
    assert (summary.imported, summary.rejected, summary.skipped, summary.unlinked) == (len(HASHERS), 0, 0, 0), rejects
    for n, row in enumerate(rows):
        user, password, methods = await account(services, row["email"])
        assert user is not None and user.email_verified
        assert password.hash == row["password_hash"]  # the old hash, untouched until first sign-in
        assert user.phone_number == f"+447911123{n:03d}"  # stored E.164
        assert user.phone_number_verified is False  # an old system's number is not a second factor
        assert [m.kind for m in methods] == ["auth_app"]
        assert services.accounts.box.decrypt(methods[0].secret_encrypted) == row["totp_secret"]
        assert user.created_at.year == 2015
    links = await legacy_rows(services, name)
    assert [(r.legacy_id, r.state) for r in links] == [(r["legacy_id"], "linked") for r in rows]


async def test_bad_rows_go_to_the_rejects_file_with_their_row_number_and_the_rest_go_in(services):
    name = system()
    good = one_row_per_format(name)[:2]
    dup = dict(good[0], legacy_id="another-id")
    lines = [
        jsonl([good[0]]),
        b"{not json\n",
        b'{"email": "caf\xe9@example.com"}\n',  # Latin-1, not UTF-8
        jsonl([{"email": email(), "password_hash": "$md5$unknown$format"}]),
        jsonl([{"email": email(), "password_hash": "$2b$12$" + "a" * 70}]),  # over 72 bytes
        jsonl([{"email": email(), "nickname": "Bob"}]),
        jsonl([{"email": "not-an-email"}]),
        jsonl([{"email": email(), "phone": "12"}]),
        jsonl([{"email": email(), "legacy_id": "7"}]),
        jsonl([dup]),
        jsonl([good[1]]),
        b"[1, 2]\n",
    ]
    summary, rejects = await imported(services, b"".join(lines))
    by_row = {r["row"]: r["reason"] for r in rejects}
    assert by_row[2].startswith("malformed row: not JSON")
    assert by_row[3].startswith("wrong encoding")
    assert by_row[4].startswith("password_hash: unknown password hash format")
    assert by_row[5] == "password_hash: bcrypt hash longer than 72 bytes: not a bcrypt hash"
    assert by_row[6] == "unknown fields: nickname"
    assert by_row[7] == "email is not an email address"
    assert by_row[8] == "phone is not a valid phone number"
    assert by_row[9] == "legacy_id needs legacy_system"
    assert by_row[10] == "duplicate email within the file: row 1 has the account"
    assert by_row[12] == "malformed row: not a JSON object"
    assert set(by_row) == {2, 3, 4, 5, 6, 7, 8, 9, 10, 12}
    assert (summary.imported, summary.rejected, summary.unlinked) == (2, 9, 1)
    for r in rejects:  # never the secrets
        assert "password_hash" not in r and "totp_secret" not in r
    assert (await account(services, good[1]["email"]))[0] is not None


async def test_a_rerun_skips_every_row_already_imported_and_creates_nothing(services):
    name = system()
    rows = one_row_per_format(name)[:5]
    first, _ = await imported(services, jsonl(rows), batch_size=2)
    again, rejects = await imported(services, jsonl(rows), batch_size=2)
    assert (first.imported, first.skipped) == (5, 0)
    assert (again.imported, again.skipped, again.rejected, again.unlinked) == (0, 5, 0, 0) and rejects == []
    async with services.engine.connect() as conn:
        emails = [r["email"] for r in rows]
        assert (await conn.execute(select(func.count()).select_from(User).where(User.email.in_(emails)))).scalar_one() == 5
    assert len(await legacy_rows(services, name)) == 5


async def test_a_dry_run_reports_what_would_happen_and_writes_nothing(services):
    name = system()
    rows = one_row_per_format(name)[:3]
    rows.append(dict(rows[0], legacy_id="dup"))
    summary, rejects = await imported(services, jsonl(rows) + b"oops\n", dry_run=True)
    assert (summary.imported, summary.unlinked, summary.rejected, summary.dry_run) == (3, 1, 1, True)
    assert {r["row"] for r in rejects} == {4, 5}
    assert await legacy_rows(services, name) == []
    assert (await account(services, rows[0]["email"]))[0] is None


async def test_the_first_verified_row_gets_a_shared_address_and_the_others_are_left_unlinked(services):
    name, shared = system(), email("family-")
    rows = [
        {"email": shared, "email_verified": False, "legacy_system": name, "legacy_id": "child", "password_hash": legacy_hash("md5_crypt", "child-pw")},
        {"email": shared, "email_verified": True, "legacy_system": name, "legacy_id": "parent", "password_hash": legacy_hash("md5_crypt", "parent-pw")},
        {"email": shared, "email_verified": True, "legacy_system": name, "legacy_id": "other-parent"},
    ]
    summary, rejects = await imported(services, jsonl(rows))
    assert (summary.imported, summary.unlinked) == (1, 2)
    states = {r.legacy_id: (r.state, r.user_id is not None) for r in await legacy_rows(services, name)}
    assert states == {"parent": ("linked", True), "child": ("unlinked", False), "other-parent": ("unlinked", False)}
    assert {r["row"] for r in rejects} == {1, 3}
    user, password, _ = await account(services, shared)
    assert user.email_verified and await services.accounts.check_password(user.id, "parent-pw")


async def test_a_later_verified_row_takes_an_unused_account_from_an_unverified_one_in_an_earlier_batch(services):
    name, shared = system(), email("family-")
    child = {"email": shared, "email_verified": False, "legacy_system": name, "legacy_id": "child",
             "password_hash": legacy_hash("md5_crypt", "child-pw")}
    parent = {"email": shared, "email_verified": True, "legacy_system": name, "legacy_id": "parent",
              "password_hash": legacy_hash("md5_crypt", "parent-pw")}
    summary, rejects = await imported(services, jsonl([child, parent]), batch_size=1)
    assert (summary.imported, summary.unlinked) == (2, 1)
    assert [r["row"] for r in rejects] == [1] and "took the address" in rejects[0]["reason"]
    user, _, _ = await account(services, shared)
    assert user.email_verified
    assert not await services.accounts.check_password(user.id, "child-pw")
    assert await services.accounts.check_password(user.id, "parent-pw")


async def test_an_account_already_signed_in_to_is_never_handed_to_another_row(services):
    name, shared = system(), email("family-")
    child = {"email": shared, "email_verified": False, "legacy_system": name, "legacy_id": "child",
             "password_hash": legacy_hash("md5_crypt", "child-pw")}
    await imported(services, jsonl([child]))
    user, _, _ = await account(services, shared)
    assert await services.accounts.check_password(user.id, "child-pw")  # first sign-in: upgraded
    parent = dict(child, email_verified=True, legacy_id="parent", password_hash=legacy_hash("md5_crypt", "parent-pw"))
    summary, rejects = await imported(services, jsonl([parent]))
    assert (summary.imported, summary.unlinked) == (0, 1)
    assert rejects[0]["reason"] == "email already has an account: left unlinked"
    assert await services.accounts.check_password(user.id, "child-pw")


def test_the_command_prints_the_summary_and_writes_the_rejects_file(live_server, tmp_path):
    name = system()
    rows = one_row_per_format(name)[:3]
    source = tmp_path / "accounts.csv"
    source.write_bytes(csv_bytes(rows) + b"just-one-value\n")
    rejects = tmp_path / "rejects.jsonl"
    out = run_cli(live_server.env, "accounts", "import", str(source), "--rejects", str(rejects))
    assert {k: out[k] for k in ("imported", "skipped", "rejected")} == {"imported": 3, "skipped": 0, "rejected": 1}
    assert json.loads(rejects.read_text())["row"] == 5
    again = run_cli(live_server.env, "accounts", "import", str(source), "--format", "csv")
    assert {k: again[k] for k in ("imported", "skipped", "rejected")} == {"imported": 0, "skipped": 3, "rejected": 1}
    report = run_cli(live_server.env, "accounts", "import-report")
    assert report["imported"] >= 3 and report["pending"] >= 3


async def test_rows_checked_in_worker_processes_give_the_same_result_in_file_order(services):
    name = system()
    rows = [{"email": email(f"w{n}-"), "email_verified": True, "password_hash": legacy_hash("md5_crypt"),
             "legacy_system": name, "legacy_id": str(n)} for n in range(2500)]
    data = jsonl(rows[:1200]) + b"broken\n" + jsonl(rows[1200:])
    summary, rejects = await imported(services, data, workers=2, batch_size=700)
    assert (summary.imported, summary.rejected) == (2500, 1)
    assert rejects == [{"row": 1201, "reason": rejects[0]["reason"], "email": None, "legacy_system": None, "legacy_id": None}]
    links = await legacy_rows(services, name)
    assert sorted(r.row_number for r in links) == [n for n in range(1, 2502) if n != 1201]


def test_on_a_terminal_a_progress_bar_shows_and_json_still_goes_to_stdout(live_server, tmp_path):
    import os
    import pty
    import subprocess

    from tests.support.live import GOVSIGNIN, ROOT

    source = tmp_path / "accounts.jsonl"
    source.write_bytes(jsonl(one_row_per_format(system())[:2]))
    controller, terminal = pty.openpty()
    process = subprocess.Popen([GOVSIGNIN, "accounts", "import", str(source), "--json"], env={**live_server.env, "COLUMNS": "100"},
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    screen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the command ended and closed its side
            break
        if not chunk:
            break
        screen += chunk
    stdout, _ = process.communicate(timeout=120)
    os.close(controller)
    assert process.returncode == 0
    assert b"Importing" in screen  # rich's bar, on the terminal only
    assert json.loads(stdout)["imported"] == 2
