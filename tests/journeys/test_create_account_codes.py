"""accounts/codes.py: one-time codes are random, single use, bound to purpose and scope, expire,
count wrong attempts through lockout rules and limit re-sends."""

import uuid

from govsignin.accounts.codes import OneTimeCodes, Verified


def _subject() -> str:
    return f"codes-{uuid.uuid4().hex[:10]}@example.com"


async def test_a_code_verifies_once_and_only_for_its_purpose_and_scope(services):
    codes, who = OneTimeCodes.of(services), _subject()
    issued = await codes.issue("create-email", who, scope="j1")
    assert issued.code and len(issued.code) == 6 and issued.code.isdigit() and issued.ttl == 3600
    assert await codes.verify("create-sms", who, issued.code, scope="j1") is Verified.WRONG
    assert await codes.verify("create-email", who, issued.code, scope="j2") is Verified.WRONG
    assert await codes.verify("create-email", who, issued.code, scope="j1") is Verified.OK
    assert await codes.verify("create-email", who, issued.code, scope="j1") is Verified.WRONG


async def test_a_new_code_replaces_the_old_one(services):
    codes, who = OneTimeCodes.of(services), _subject()
    first = await codes.issue("create-email", who, scope="j")
    second = await codes.issue("create-email", who, scope="j", resend=True)
    if first.code != second.code:
        assert await codes.verify("create-email", who, first.code, scope="j") is Verified.WRONG
    assert await codes.verify("create-email", who, second.code, scope="j") is Verified.OK


async def test_the_codes_are_stored_only_as_keyed_hashes(services):
    codes, who = OneTimeCodes.of(services), _subject()
    issued = await codes.issue("sign-in-sms", who, scope="j")
    stored = await services.store.get(codes._store_key("sign-in-sms", who, "j"))
    assert stored and issued.code not in stored and len(stored) == 64


async def test_six_wrong_codes_block_and_the_block_outlasts_a_right_code(services):
    codes, who = OneTimeCodes.of(services), _subject()
    issued = await codes.issue("create-email", who, scope="j")
    wrong = f"{(int(issued.code) + 1) % 1_000_000:06d}"
    results = [await codes.verify("create-email", who, wrong, scope="j") for _ in range(6)]
    assert results == [Verified.WRONG] * 5 + [Verified.BLOCKED]
    assert await codes.is_blocked("create-email", who)
    again = await codes.issue("create-email", who, scope="j")
    assert await codes.verify("create-email", who, again.code, scope="j") is Verified.BLOCKED


async def test_six_resends_then_the_seventh_is_refused_in_that_journey_only(services):
    codes, who, journey = OneTimeCodes.of(services), _subject(), uuid.uuid4().hex
    await codes.issue("create-email", who, scope=journey)
    sent = [await codes.issue("create-email", who, scope=journey, resend=True) for _ in range(7)]
    assert [s.blocked for s in sent] == [False] * 6 + [True]
    assert (await codes.issue("create-email", who, scope=journey)).blocked  # a first send there too
    # Never by the address alone: another journey, or another purpose, still gets its code.
    assert not (await codes.issue("create-email", who, scope=uuid.uuid4().hex)).blocked
    assert not (await codes.issue("reset-password-email", who, scope=uuid.uuid4().hex)).blocked
