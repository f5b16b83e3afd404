"""Legacy account ids: `services add --legacy-system`, the claim `legacy_subject_id` released only
to the service that owns the system (userinfo and, when asked, the ID token), and the export of
a service's mapping legacy id → pairwise sub."""

from __future__ import annotations

import io
import json
import subprocess
import uuid
from urllib.parse import urlencode

import pyotp
import pytest

from govsignin.migration.importer import run_import
from govsignin.onboarding.registration import Registration, RegistrationError, register
from tests.migration.legacy_files import PASSWORD, jsonl, legacy_hash
from tests.support.live import GOVSIGNIN, ROOT
from tests.support.rp import Citizen, TestRP, code_for, make_citizen, redirect_params

LEGACY = json.dumps({"userinfo": {"legacy_subject_id": None}})
IN_ID_TOKEN = json.dumps({"id_token": {"legacy_subject_id": None}})


async def imported_citizen(services, system: str, legacy_id: str) -> Citizen:
    secret = pyotp.random_base32()
    address = f"legacy-{uuid.uuid4().hex[:10]}@example.com"
    row = {"email": address, "email_verified": True, "password_hash": legacy_hash("md5_crypt"),
           "totp_secret": secret, "legacy_system": system, "legacy_id": legacy_id}
    summary = await run_import(services, io.BytesIO(jsonl([row])), "jsonl")
    assert summary.imported == 1
    user = await services.accounts.by_email(address)
    return Citizen(address, PASSWORD, secret, user.id)


async def tokens(client, rp, citizen, **params) -> tuple[dict, dict]:
    code, _ = await code_for(client, rp, citizen, **params)
    body = (await rp.token(client, code)).json()
    userinfo = (await client.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})).json()
    id_token = (await rp.verify_id_token(client, body["id_token"]))["claims"]
    return userinfo, id_token


@pytest.fixture
async def owner(services):
    system = f"old-{uuid.uuid4().hex[:8]}"
    return system, await TestRP.create(services, legacy_system=system)


async def test_the_owning_service_gets_the_legacy_id_at_userinfo_through_the_scope_or_claims(client, services, owner):
    system, rp = owner
    citizen = await imported_citizen(services, system, "88412")
    userinfo, id_token = await tokens(client, rp, citizen, scope="openid email legacy")
    assert userinfo["legacy_subject_id"] == "88412"
    assert "legacy_subject_id" not in id_token  # not asked for in the ID token
    userinfo, _ = await tokens(client, rp, citizen, scope="openid", claims=LEGACY)
    assert userinfo["legacy_subject_id"] == "88412"
    userinfo, _ = await tokens(client, rp, citizen, scope="openid email")
    assert "legacy_subject_id" not in userinfo  # not asked for at all


async def test_the_id_token_carries_it_when_the_owner_asks_there(client, services, owner):
    system, rp = owner
    citizen = await imported_citizen(services, system, "L-0042")
    _, id_token = await tokens(client, rp, citizen, claims=IN_ID_TOKEN)
    assert id_token["legacy_subject_id"] == "L-0042"


async def test_another_service_can_neither_ask_for_it_nor_see_it(client, services, owner):
    system, _ = owner
    citizen = await imported_citizen(services, system, "secret-77")
    other = await TestRP.create(services)
    for params in ({"scope": "openid legacy"}, {"claims": LEGACY}, {"claims": IN_ID_TOKEN}):
        response = await client.get("/authorize?" + urlencode(other.authorize_params(**params)))
        assert response.status_code == 302
        error = redirect_params(response)["error"]
        assert error in ("invalid_scope", "invalid_request"), params
    # A service owning another legacy system asks and gets nothing for this citizen.
    rival = await TestRP.create(services, legacy_system=f"old-{uuid.uuid4().hex[:8]}")
    userinfo, id_token = await tokens(client, rival, citizen, scope="openid legacy", claims=IN_ID_TOKEN)
    assert "legacy_subject_id" not in userinfo and "legacy_subject_id" not in id_token
    assert "secret-77" not in json.dumps([userinfo, id_token])


async def test_a_citizen_without_a_link_has_no_such_claim(client, services, owner):
    _, rp = owner
    citizen = await make_citizen(services)
    userinfo, id_token = await tokens(client, rp, citizen, scope="openid legacy", claims=IN_ID_TOKEN)
    assert "legacy_subject_id" not in userinfo and "legacy_subject_id" not in id_token


async def test_registration_keeps_the_scope_and_claim_for_the_one_owner(services, owner):
    system, rp = owner
    assert rp.registration["legacy_system"] == system
    assert "legacy" in rp.registration["scopes"] and "legacy_subject_id" in rp.registration["claims"]
    base = dict(name="Another", redirect_uris=["https://another.example.gov.uk/cb"], secret=True)
    with pytest.raises(RegistrationError, match="already owns the legacy system"):
        await register(services, Registration(**base, legacy_system=system))
    with pytest.raises(RegistrationError, match="only for a service registered with --legacy-system"):
        await register(services, Registration(**base, scopes=["openid", "legacy"]))
    with pytest.raises(RegistrationError, match="only for a service registered with --legacy-system"):
        await register(services, Registration(**base, claims=["legacy_subject_id"]))
    with pytest.raises(RegistrationError, match="--legacy-system must be"):
        await register(services, Registration(**base, legacy_system="has spaces"))


async def test_the_export_maps_each_legacy_id_to_the_services_pairwise_sub(client, services, owner, live_server):
    system, rp = owner
    citizens = {lid: await imported_citizen(services, system, lid) for lid in ("A-1", "A-2")}
    _, id_token = await tokens(client, rp, citizens["A-1"])
    out = subprocess.run([GOVSIGNIN, "services", "legacy-links", "--client-id", rp.client_id],
                         env=live_server.env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    mapping = {m["legacy_id"]: m["sub"] for m in map(json.loads, out.stdout.splitlines())}
    assert set(mapping) == {"A-1", "A-2"}
    assert mapping["A-1"] == id_token["sub"]
    refused = subprocess.run([GOVSIGNIN, "services", "legacy-links", "--client-id", "no-such-client"],
                             env=live_server.env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert refused.returncode == 1 and "No service has client_id" in refused.stderr
