"""Proven identities kept for reuse: encrypted at rest with a data key per record, kept five
years after last use, deleted with the account (capabilities-research.md §1.7)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from govsignin.config import Settings
from govsignin.identity.models import StoredIdentity
from govsignin.identity.stored import StoredIdentities
from tests.identity.builders import fraud, kbv, passport
from tests.support.rp import make_citizen


async def test_a_proven_identity_is_encrypted_at_rest_and_read_back(services):
    citizen = await make_citizen(services)
    stored = services.identity.stored
    credentials = [passport(), fraud(), kbv()]
    await stored.save(citizen.user_id, "P2", credentials)
    row = await stored.raw(citizen.user_id)
    assert "Decerqueira" not in row.ciphertext and "321654987" not in row.ciphertext and "Decerqueira" not in row.wrapped_key
    proven = await stored.load(citizen.user_id)
    assert proven.vot == "P2" and proven.credentials == credentials
    assert (row.expires_at - row.last_used_at).days == 1826


async def test_each_record_has_its_own_data_key_and_a_wrong_settings_key_cannot_read_it(services):
    first, second = await make_citizen(services), await make_citizen(services)
    stored = services.identity.stored
    await stored.save(first.user_id, "P2", [passport()])
    await stored.save(second.user_id, "P2", [passport()])
    assert (await stored.raw(first.user_id)).wrapped_key != (await stored.raw(second.user_id)).wrapped_key
    other = StoredIdentities(Settings(identity_encryption_key="bm90LXRoZS1yaWdodC1rZXktZm9yLXRoaXMtZGF0YSE="), services.sessionmaker)
    with pytest.raises(RuntimeError, match="could not be decrypted"):
        await other.load(first.user_id)
    rotated = StoredIdentities(Settings(identity_encryption_key="bm90LXRoZS1yaWdodC1rZXktZm9yLXRoaXMtZGF0YSE=," + services.settings.identity_encryption_key), services.sessionmaker)
    assert (await rotated.load(first.user_id)).vot == "P2"  # the old key still unwraps after rotation


async def test_use_extends_its_life_and_an_expired_identity_is_gone(services):
    citizen = await make_citizen(services)
    stored = services.identity.stored
    await stored.save(citizen.user_id, "P2", [passport()])
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    async with services.sessionmaker() as db, db.begin():
        await db.execute(update(StoredIdentity).where(StoredIdentity.user_id == citizen.user_id).values(expires_at=past))
    assert await stored.load(citizen.user_id) is None
    assert await stored.purge_expired() >= 1
    assert await stored.raw(citizen.user_id) is None


async def test_the_citizen_can_delete_it_and_deleting_the_account_deletes_it(services):
    from govsignin.accounts.models import User
    from sqlalchemy import delete

    citizen = await make_citizen(services)
    stored = services.identity.stored
    await stored.save(citizen.user_id, "P1", [passport()])
    assert await stored.delete(citizen.user_id) and await stored.load(citizen.user_id) is None
    await stored.save(citizen.user_id, "P1", [passport()])
    async with services.sessionmaker() as db, db.begin():
        await db.execute(delete(User).where(User.id == citizen.user_id))
    assert await stored.raw(citizen.user_id) is None


def test_production_refuses_the_development_identity_key():
    problems = Settings(env="production").production_problems()
    assert any("GOVSIGNIN_IDENTITY_ENCRYPTION_KEY" in p for p in problems)
