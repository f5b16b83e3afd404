"""id_token_hint and request object controls (docs/security.md, "Hints and request objects"):
a hint is matched to its service exactly and must be an ID token; a request object lives at
most an hour and is used once."""

import time
import uuid
from urllib.parse import urlencode

from govsignin.oidc.signing import sign
from tests.support.rp import TestRP, code_for, make_citizen, redirect_params

HINT_REFUSED = "Unable to validate id_token_hint"


def jar(rp, request_object: str) -> str:
    query = {"response_type": "code", "scope": "openid email phone", "client_id": rp.client_id, "request": request_object}
    return "/authorize?" + urlencode(query)


async def test_a_hint_whose_aud_only_contains_the_client_id_is_refused(client, services):
    short_id = f"hint-{uuid.uuid4().hex[:8]}"
    target = await TestRP.create(services, alg="RS256", client_id=short_id)
    other = await TestRP.create(services, alg="RS256", client_id=short_id + "-longer")
    code, _ = await code_for(client, other, await make_citizen(services))
    hint = (await other.token(client, code)).json()["id_token"]  # aud: "hint-xxxx-longer"

    params = target.authorize_params()
    response = await client.get(jar(target, target.request_object(**params, prompt="login", id_token_hint=hint)))
    got = redirect_params(response)
    assert got["error"] == "invalid_request" and got["error_description"] == HINT_REFUSED


async def test_a_logout_token_is_not_an_id_token_hint(client, services):
    rp = await TestRP.create(services, alg="RS256")
    now = int(time.time())
    logout_token = await sign(services.keys, "ES256", {
        "iss": services.settings.issuer_url(), "aud": rp.client_id, "sub": "urn:fdc:gov.uk:2022:x", "iat": now,
        "exp": now + 120, "jti": str(uuid.uuid4()), "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
    }, typ="logout+jwt")
    params = rp.authorize_params()
    response = await client.get(jar(rp, rp.request_object(**params, prompt="login", id_token_hint=logout_token)))
    got = redirect_params(response)
    assert got["error"] == "invalid_request" and got["error_description"] == HINT_REFUSED


async def test_a_signed_token_without_an_id_tokens_times_is_not_an_id_token_hint(client, services):
    rp = await TestRP.create(services, alg="RS256")
    token = await sign(services.keys, "ES256", {"iss": services.settings.issuer_url(), "aud": rp.client_id,
                                                "sub": "urn:fdc:gov.uk:2022:x"})
    params = rp.authorize_params()
    response = await client.get(jar(rp, rp.request_object(**params, prompt="login", id_token_hint=token)))
    assert redirect_params(response)["error_description"] == HINT_REFUSED


async def test_a_request_object_living_longer_than_an_hour_is_refused(client, services):
    rp = await TestRP.create(services, alg="RS256")
    now = int(time.time())
    long_lived = rp.request_object(**rp.authorize_params(), iat=now, nbf=now, exp=now + 2 * 3600)
    response = await client.get(jar(rp, long_lived))
    assert response.status_code == 400 and "location" not in response.headers


async def test_a_request_object_of_an_hour_is_accepted(client, services):
    rp = await TestRP.create(services, alg="RS256")
    now = int(time.time())
    response = await client.get(jar(rp, rp.request_object(**rp.authorize_params(), iat=now, exp=now + 3600)))
    assert response.headers["location"] == "/sign-in-or-create"


async def test_a_request_object_is_used_once(client, services):
    rp = await TestRP.create(services, alg="RS256")
    request_object = rp.request_object(**rp.authorize_params())
    assert (await client.get(jar(rp, request_object))).headers["location"] == "/sign-in-or-create"
    replayed = await client.get(jar(rp, request_object))
    assert replayed.status_code == 400 and "location" not in replayed.headers


async def test_a_request_object_jti_is_used_once(client, services):
    rp = await TestRP.create(services, alg="RS256")
    jti = str(uuid.uuid4())
    first = rp.request_object(**rp.authorize_params(), jti=jti)
    second = rp.request_object(**rp.authorize_params(), jti=jti)  # another object, the same jti
    assert (await client.get(jar(rp, first))).headers["location"] == "/sign-in-or-create"
    replayed = await client.get(jar(rp, second))
    assert replayed.status_code == 400 and "location" not in replayed.headers
