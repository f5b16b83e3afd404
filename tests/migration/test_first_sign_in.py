"""First sign-in with an imported account: the old hash checked with libpass, replaced by argon2id
at once; signing in over HTTP (in-process) with an account of every supported hash format; the
cost; the report; the erasure of old hashes never used."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from govsignin.accounts import legacy_hashes
from govsignin.accounts.models import PasswordCredential, User
from govsignin.messaging.outbox import read_outbox
from govsignin.migration.importer import run_import
from govsignin.migration.progress import erase_unused_hashes, import_report
from tests.migration.legacy_files import PASSWORD, jsonl, legacy_hash, one_row_per_format
from tests.support.rp import (
    Citizen, TestRP, code_for, make_citizen, post_page, redirect_params,
)


class CountingHasher:
    """argon2-cffi's PasswordHasher (its attributes are read-only), counting hashes and checks."""

    def __init__(self, real, calls: list):
        self.real, self.calls = real, calls

    def hash(self, *args, **kwargs):
        self.calls.append("argon2 hash")
        return self.real.hash(*args, **kwargs)

    def verify(self, *args):
        self.calls.append("argon2 verify")
        return self.real.verify(*args)

    def __getattr__(self, name):
        return getattr(self.real, name)


def counting(monkeypatch, services) -> list:
    """Every argon2 hash and verification and every old-hash check from now on, in order."""
    calls: list = []
    passwords, real_legacy = services.accounts.passwords, legacy_hashes.verify
    monkeypatch.setattr(passwords, "hasher", CountingHasher(passwords.hasher, calls))
    monkeypatch.setattr(legacy_hashes, "verify", lambda *a: calls.append("old check") or real_legacy(*a))
    return calls


class NextCode(Citizen):
    """The next time step's code: this step's was used by the first sign-in (replay check)."""

    def code(self, offset: int = 0) -> str:
        return super().code(offset + 1)


async def import_rows(services, rows) -> None:
    summary = await run_import(services, io.BytesIO(jsonl(rows)), "jsonl")
    assert summary.imported == len(rows), summary


async def stored_hash(services, address: str) -> str:
    async with services.sessionmaker() as db:
        return (await db.execute(
            select(PasswordCredential.hash).join(User, User.id == PasswordCredential.user_id).where(User.email == address)
        )).scalar_one()


async def user_id_of(services, address: str) -> str:
    async with services.sessionmaker() as db:
        return (await db.execute(select(User.id).where(User.email == address))).scalar_one()


async def test_each_supported_format_signs_in_over_http_and_is_rehashed_to_argon2id(services, client):
    rp = await TestRP.create(services)
    rows = one_row_per_format(f"old-{uuid.uuid4().hex[:8]}")
    await import_rows(services, rows)
    argon2_prefix = f"$argon2id$v=19$m={services.settings.argon2_memory_kib},t={services.settings.argon2_time_cost},"
    for row in rows:
        before = await stored_hash(services, row["email"])
        assert before == row["password_hash"]
        citizen = Citizen(row["email"], PASSWORD, row["totp_secret"], await user_id_of(services, row["email"]))
        code, _ = await code_for(client, rp, citizen)  # password, then the imported authenticator app
        assert (await rp.token(client, code)).status_code == 200
        after = await stored_hash(services, row["email"])
        assert after.startswith(argon2_prefix), (row["legacy_id"], after[:40])
        assert row["password_hash"] not in after  # the old hash is gone
        client.cookies.clear()
    # Signing in again uses the argon2id hash alone.
    again = rows[0]
    citizen = NextCode(again["email"], PASSWORD, again["totp_secret"], await user_id_of(services, again["email"]))
    code, _ = await code_for(client, rp, citizen)
    assert code


@pytest.mark.parametrize("kind", ["md5_crypt", "bcrypt", "ssha"])
async def test_a_wrong_password_leaves_the_old_hash_and_costs_one_argon2_verification(services, monkeypatch, kind):
    row = {"email": f"legacy-{uuid.uuid4().hex[:10]}@example.com", "email_verified": True,
           "password_hash": legacy_hash(kind)}
    await import_rows(services, [row])
    user_id = await user_id_of(services, row["email"])
    calls = counting(monkeypatch, services)
    assert not await services.accounts.check_password(user_id, "not the password")
    assert calls == ["old check", "argon2 verify"]  # a fast old scheme answers no sooner than an unknown email
    assert await stored_hash(services, row["email"]) == row["password_hash"]


async def test_first_sign_in_costs_one_old_hash_check_and_one_argon2id_hash(services, monkeypatch):
    row = {"email": f"legacy-{uuid.uuid4().hex[:10]}@example.com", "email_verified": True,
           "password_hash": legacy_hash("bcrypt")}
    await import_rows(services, [row])
    user_id = await user_id_of(services, row["email"])
    calls = counting(monkeypatch, services)
    assert await services.accounts.check_password(user_id, PASSWORD)
    assert calls == ["old check", "argon2 hash"]
    calls.clear()
    assert await services.accounts.check_password(user_id, PASSWORD)
    assert calls == ["argon2 verify"]  # from now on the normal path, which never meets libpass


async def test_a_native_account_never_meets_the_old_hash_path(services, monkeypatch):
    citizen = await make_citizen(services)
    monkeypatch.setattr(legacy_hashes, "verify", lambda *a: pytest.fail("libpass on a native account"))
    assert await services.accounts.check_password(citizen.user_id, citizen.password)
    assert not await services.accounts.check_password(citizen.user_id, "wrong password entirely")


async def test_a_bcrypt_password_over_72_bytes_is_checked_as_the_old_system_did(services):
    long_password = "x" * 80
    row = {"email": f"legacy-{uuid.uuid4().hex[:10]}@example.com", "email_verified": True,
           "password_hash": legacy_hash("bcrypt", long_password[:72])}  # what the old bcrypt hashed
    await import_rows(services, [row])
    user_id = await user_id_of(services, row["email"])
    assert await services.accounts.check_password(user_id, long_password)
    assert await services.accounts.check_password(user_id, long_password)  # argon2id, whole password
    assert not await services.accounts.check_password(user_id, long_password[:72])


async def test_the_report_counts_upgrades_and_old_hashes_never_used_are_erased(services):
    fresh = [{"email": f"legacy-{uuid.uuid4().hex[:10]}@example.com", "email_verified": True,
              "password_hash": legacy_hash("md5_crypt")} for _ in range(3)]
    before = await import_report(services.engine)
    await import_rows(services, fresh)
    used = await user_id_of(services, fresh[0]["email"])
    assert await services.accounts.check_password(used, PASSWORD)
    after = await import_report(services.engine)
    assert after["imported"] - before["imported"] == 3
    assert after["upgraded"] - before["upgraded"] == 1
    assert after["signed_in"] - before["signed_in"] == 1
    assert after["pending"] - before["pending"] == 2

    assert (await erase_unused_hashes(services.engine, 365))["erased"] == 0  # nothing is that old yet
    assert await stored_hash(services, fresh[1]["email"]) == fresh[1]["password_hash"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=366)
    result = await erase_unused_hashes(services.engine, 365, now=later)
    assert result["erased"] >= 2
    assert await stored_hash(services, fresh[1]["email"]) == legacy_hashes.ERASED
    assert (await stored_hash(services, fresh[0]["email"])).startswith("$argon2id$")  # upgraded: kept
    assert not await services.accounts.check_password(await user_id_of(services, fresh[1]["email"]), PASSWORD)
    erased = await import_report(services.engine)
    assert erased["erased"] - after["erased"] >= 2 and erased["pending"] <= after["pending"] - 2
    assert erased["upgraded"] == after["upgraded"]


async def test_an_account_imported_without_a_second_factor_or_verified_email_gets_no_more_than_it_had(services, client):
    rp = await TestRP.create(services)
    row = {"email": f"legacy-{uuid.uuid4().hex[:10]}@example.com", "email_verified": False,
           "password_hash": legacy_hash("sha512_crypt")}
    await import_rows(services, [row])
    response = await client.get("/authorize?" + urlencode(rp.authorize_params(vtr='["Cl"]')))
    assert response.headers["location"] == "/sign-in-or-create"
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=row["email"])
    response = await post_page(client, "/enter-password", password=PASSWORD)
    # The address is proven first (tests/migration/test_unverified_email.py), then it is verified.
    assert response.headers["location"] == "/check-your-email-sign-in"
    assert (await client.get("/check-your-email-sign-in")).status_code == 200
    code = (await read_outbox(services, row["email"], last=True))[0]["personalisation"]["code"]
    response = await post_page(client, "/check-your-email-sign-in", code=code)
    assert response.headers["location"] == "/auth-code"
    code = redirect_params(await client.get("/auth-code"))["code"]
    token = (await rp.token(client, code)).json()["access_token"]
    userinfo = (await client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})).json()
    assert userinfo["email_verified"] is True
    assert (await stored_hash(services, row["email"])).startswith("$argon2id$")
    client.cookies.clear()
    # Two factors asked for: the password alone does not reach the service.
    response = await client.get("/authorize?" + urlencode(rp.authorize_params()))
    assert response.headers["location"] == "/sign-in-or-create"
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=row["email"])
    response = await post_page(client, "/enter-password", password=PASSWORD)
    assert response.headers["location"] == "/get-security-codes"  # tests/migration/test_first_factor.py
