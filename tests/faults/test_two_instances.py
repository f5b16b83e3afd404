"""Two instances, one PostgreSQL, one Redis: no instance keeps state another needs.

Both `govsignin serve` processes share the database (and Redis, when set) and the issuer, as two
instances behind one load balancer would. One browser (one cookie jar) talks to both: cookies on
localhost are shared across ports. A journey starts on A and finishes on B; then A is SIGKILLed in
the middle of a journey and the citizen finishes on B with nothing lost. The same runs with the
database store (no Redis): both modes are stateless.
"""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.faults.support import Browser, Citizen, CliRP, assert_code_redirect
from tests.support.live import LiveServer
from tests.support.ports import free_port
from tests.support.rp import post_page


@pytest.fixture(scope="module", params=["redis", "database"])
def store_env(request):
    if request.param == "redis":
        return {"GOVSIGNIN_REDIS_URL": request.getfixturevalue("redis_url")}
    return {}


@pytest.fixture(scope="module")
def pair(pg_url, store_env):
    """Instances A and B on one database, with A's URL as the one issuer (shared by the module's
    tests: the kill test starts A again before it ends)."""
    port_a = free_port()
    issuer = f"http://localhost:{port_a}"
    env = {**store_env, "GOVSIGNIN_ISSUER": issuer}
    a = LiveServer(database_url=pg_url, port=port_a, extra_env=env)
    b = LiveServer(database_url=pg_url, extra_env=env)
    try:
        a.start()  # A migrates first; B then finds the schema in place
        b.start()
        yield a, b
    finally:
        b.stop()
        a.stop()


async def exchange(http, rp: CliRP, code: str) -> dict:
    response = await http.post("/token", data=rp.token_form(code))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


async def check_tokens(http, rp: CliRP, tokens: dict, params: dict, citizen: Citizen) -> str:
    """The ID token verifies against the JWKS of the instance asked, names the one issuer, and the
    access token reads the citizen's email; returns the sub."""
    keys = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
    claims = jwt.decode(tokens["id_token"], keys, algorithms=["ES256"]).claims
    assert claims["iss"] == rp.issuer
    assert claims["aud"] == rp.client_id
    assert claims["nonce"] == params["nonce"]
    info = await http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200, info.text
    assert info.json()["email"] == citizen.email
    assert info.json()["sub"] == claims["sub"]
    return claims["sub"]


async def test_journey_starts_on_one_instance_and_finishes_on_the_other(pair, tmp_path):
    a, b = pair
    rp = CliRP.register(a, tmp_path, issuer=a.url)
    citizen = Citizen.new()
    b.cli(*citizen.add_args())  # the account is made through B; A signs it in
    browser = Browser()
    try:
        on_a, on_b = browser.at(a), browser.at(b)
        query, params = rp.authorize_query()
        response = await on_a.get(query)
        assert response.status_code == 302 and response.headers["location"] == "/sign-in-or-create", response.text
        assert (await post_page(on_a, "/sign-in-or-create")).headers["location"] == "/enter-email"
        assert (await post_page(on_a, "/enter-email", email=citizen.email)).headers["location"] == "/enter-password"
        # The load balancer now sends the browser to B.
        response = await post_page(on_b, "/enter-password", password=citizen.password)
        assert response.headers["location"] == "/enter-authenticator-app-code", response.text
        response = await post_page(on_b, "/enter-authenticator-app-code", code=citizen.code())
        assert response.headers["location"] == "/auth-code"
        code = assert_code_redirect(await on_b.get("/auth-code"), rp, params)
        tokens = await exchange(on_b, rp, code)
        sub = await check_tokens(on_b, rp, tokens, params, citizen)
        # A knows the access token B issued, and refuses the code B already redeemed.
        info = await on_a.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert info.status_code == 200 and info.json()["sub"] == sub
        replay = await on_a.post("/token", data=rp.token_form(code))
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant", replay.text
        # The SSO session B wrote is A's too: a second sign-in on A asks nothing.
        query, params = rp.authorize_query()
        code = assert_code_redirect(await on_a.get(query), rp, params)
        assert await check_tokens(on_a, rp, await exchange(on_a, rp, code), params, citizen) == sub
    finally:
        await browser.close()


async def test_instance_killed_mid_journey_the_citizen_finishes_on_the_other(pair, tmp_path):
    a, b = pair
    rp = CliRP.register(a, tmp_path, issuer=a.url)
    citizen = Citizen.new()
    a.cli(*citizen.add_args())
    browser = Browser()
    try:
        on_a, on_b = browser.at(a), browser.at(b)
        query, params = rp.authorize_query()
        assert (await on_a.get(query)).headers["location"] == "/sign-in-or-create"
        await post_page(on_a, "/sign-in-or-create")
        await post_page(on_a, "/enter-email", email=citizen.email)
        response = await post_page(on_a, "/enter-password", password=citizen.password)
        assert response.headers["location"] == "/enter-authenticator-app-code", response.text

        process = a.process
        a.stop(kill=True)  # SIGKILL: no shutdown hooks, nothing flushed
        assert process.returncode == -9

        # B carries on from exactly where A was: the password is not asked again.
        response = await post_page(on_b, "/enter-authenticator-app-code", code=citizen.code())
        assert response.headers["location"] == "/auth-code", response.text
        code = assert_code_redirect(await on_b.get("/auth-code"), rp, params)
        tokens = await exchange(on_b, rp, code)
        sub = await check_tokens(on_b, rp, tokens, params, citizen)

        # A comes back (same port, a new process): B's session, tokens and codes are its too.
        a.start()
        info = await on_a.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert info.status_code == 200 and info.json()["sub"] == sub
        query, params = rp.authorize_query()
        code = assert_code_redirect(await on_a.get(query), rp, params)
        assert await check_tokens(on_a, rp, await exchange(on_a, rp, code), params, citizen) == sub
    finally:
        await browser.close()
        if a.process is None:  # the module's next test needs A
            a.start()
