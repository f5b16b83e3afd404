"""Signing keys: encrypted at rest, published before use, rotated mid-run without breaking tokens."""

import json

from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from govsignin.keys.models import SigningKey
from tests.support.rp import TestRP, code_for, make_citizen


async def test_private_keys_are_encrypted_at_rest(services):
    async with services.sessionmaker() as db:
        rows = (await db.execute(select(SigningKey))).scalars().all()
    assert rows
    for row in rows:
        assert '"d"' not in row.private_key_encrypted  # no JWK private member in clear
        assert "d" not in row.public_jwk
        assert json.loads(services.keys.box.decrypt(row.private_key_encrypted))["kid"] == row.kid


async def test_jwks_publishes_the_next_key_before_it_signs(client, services):
    keys = await services.keys.list_keys()
    published = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    upcoming = {k["kid"] for k in keys if k["state"] == "next"}
    assert upcoming and upcoming <= published
    jwks = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert all(k["use"] == "sig" and k["alg"] in ("ES256", "RS256") and k["kid"] for k in jwks)
    assert "max-age=" in (await client.get("/.well-known/jwks.json")).headers["cache-control"]


async def test_rotation_mid_run_keeps_earlier_tokens_verifiable(client, services, live_server):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    before = (await rp.token(client, code)).json()["id_token"]
    old_kid = jwt.decode(before, KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())).header["kid"]
    upcoming = [k["kid"] for k in await services.keys.list_keys() if k["state"] == "next" and k["alg"] == "ES256"]

    report = live_server.cli("keys", "rotate", "--force")  # the operator's command, another process
    assert upcoming[0] in report["promoted"]
    services.keys._ring = None  # this process would notice within key_cache_seconds anyway

    code, _ = await code_for(client, rp, citizen)
    after = (await rp.token(client, code)).json()["id_token"]
    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    assert jwt.decode(after, jwks).header["kid"] == upcoming[0]
    assert jwt.decode(before, jwks).header["kid"] == old_kid  # still published while retiring


async def test_rotation_refuses_to_promote_a_key_relying_parties_may_not_have_cached(live_server):
    import pytest

    from tests.support.live import CliFailed

    with pytest.raises(CliFailed) as failed:
        live_server.cli("keys", "rotate")
    assert "cache the JWKS" in failed.value.stderr
