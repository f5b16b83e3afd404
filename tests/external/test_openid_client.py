"""panva's openid-client (v6, Node) as a relying party, end to end through Chromium.

The relying party is tests/external/openid_client/rp.mjs, run in its own process: "start" builds
the authorization URL (PKCE S256, state, nonce, vtr ["Cl.Cm"]), Chromium signs in on the
provider's pages, and "finish" redeems the code with private_key_jwt (ES256 key with a kid),
validates the ID token, signature included, and fetches userinfo.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest
from joserfc.jwk import ECKey

from tests.support.browser import catch_redirect, sign_in
from tests.support.ports import free_port

pytestmark = [pytest.mark.external, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
RP_SCRIPT = Path(__file__).resolve().parent / "openid_client" / "rp.mjs"
SUB_PREFIX = "urn:fdc:gov.uk:2022:"


@dataclass
class RelyingParty:
    client_id: str
    private_jwk: dict
    redirect_uri: str


@dataclass
class Account:
    email: str
    password: str
    totp_secret: str


async def run_rp(**request) -> dict:
    """Run rp.mjs with ``request`` as its JSON input and return its JSON output."""
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "openid-client").is_dir():
        pytest.skip("needs node and openid-client in node_modules (`make install`)")
    process = await asyncio.create_subprocess_exec(
        node, str(RP_SCRIPT),
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(json.dumps(request).encode()), 60)
    if process.returncode != 0:
        raise AssertionError(f"rp.mjs {request['command']} failed: {stderr.decode().strip()}")
    return json.loads(stdout)


@pytest.fixture(scope="module")
def relying_party(live_server, tmp_path_factory) -> RelyingParty:
    """A service registered with an ES256 public key, the three GOV.UK scopes and PKCE. Shared by
    this module's tests (per backend): registering one costs a CLI run."""
    key = ECKey.generate_key("P-256", private=True)
    private_jwk = {**key.as_dict(private=True), "kid": key.thumbprint()}
    pem = tmp_path_factory.mktemp("openid-client") / "rp.pem"
    pem.write_bytes(key.as_pem(private=False))
    # Nothing listens on this port: the browser's request to it is answered by catch_redirect.
    redirect_uri = f"http://localhost:{free_port()}/callback"
    service = live_server.cli(
        "services", "add", "--name", "openid-client relying party",
        "--redirect-uri", redirect_uri, "--public-key", str(pem),
        "--scope", "openid", "--scope", "email", "--scope", "phone", "--require-pkce",
    )
    return RelyingParty(service["client_id"], private_jwk, redirect_uri)


@pytest.fixture
def account(live_server) -> Account:
    """An account whose second factor is an authenticator app. One per test: two sign-ins within
    30 seconds would present the same code, which the provider may rightly refuse as a replay."""
    account = Account(
        email=f"openid-client-{secrets.token_hex(4)}@example.gov.uk",
        password=f"Correct-horse-{secrets.token_hex(6)}-9",
        totp_secret=pyotp.random_base32(),
    )
    live_server.cli(
        "accounts", "add", "--email", account.email, "--password", account.password,
        "--totp-secret", account.totp_secret,
    )
    return account


async def sign_in_through_openid_client(live_server, page, relying_party, account, **options):
    """start -> browser sign-in -> callback URL -> finish; returns what "finish" printed."""
    common = dict(
        issuer=live_server.url,
        client_id=relying_party.client_id,
        private_jwk=relying_party.private_jwk,
        redirect_uri=relying_party.redirect_uri,
        **options,
    )
    started = await run_rp(command="start", **common)
    redirected = await catch_redirect(page, relying_party.redirect_uri)
    await page.goto(started["url"])
    await sign_in(page, account.email, account.password, totp_secret=account.totp_secret)
    callback_url = await asyncio.wait_for(redirected, 15)
    return await run_rp(
        command="finish",
        callback_url=callback_url,
        code_verifier=started["code_verifier"],
        state=started["state"],
        nonce=started["nonce"],
        **common,
    )


async def provider_jwks(issuer: str) -> dict:
    async with httpx.AsyncClient(timeout=10) as http:
        discovery = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
        return (await http.get(discovery["jwks_uri"])).json()


async def test_openid_client_signs_in_with_private_key_jwt_and_pkce(
    live_server, page, relying_party, account
):
    # openid-client's default client assertion: aud is the issuer, lifetime 60 seconds.
    result = await sign_in_through_openid_client(live_server, page, relying_party, account)

    # openid-client has already checked the ID token's signature against the provider's JWKS,
    # iss, aud, exp, iat and nonce, and that userinfo's sub equals the ID token's.
    assert result["assertion"]["payload"]["aud"] == live_server.url
    header, claims, userinfo = result["id_token_header"], result["claims"], result["userinfo"]
    assert header["alg"] == "ES256"
    jwks = await provider_jwks(live_server.url)
    assert header.get("kid") in {key.get("kid") for key in jwks["keys"]}, (header, jwks)

    assert claims["iss"] == live_server.url
    assert claims["aud"] == relying_party.client_id
    assert claims["sub"].startswith(SUB_PREFIX), claims
    assert claims["vot"] == "Cl.Cm", claims

    assert userinfo["sub"] == claims["sub"]
    assert userinfo["email"] == account.email
    assert userinfo["email_verified"] is True
    # Scope phone, but the second factor is an app: One Login sends no phone_number then, and
    # phone_number_verified false.
    assert "phone_number" not in userinfo and userinfo.get("phone_number_verified") is False
    assert result["token_type"].lower() == "bearer"


@pytest.mark.parametrize(
    "assertion_options",
    [
        pytest.param({"assertion_aud": "token_endpoint"}, id="aud-token-endpoint"),
        pytest.param({"assertion_lifetime": 3600}, id="lifetime-60-minutes"),
    ],
)
async def test_openid_client_assertion_variants(
    live_server, page, relying_party, account, assertion_options
):
    """The contract's tolerances for client assertions: aud may be the token endpoint URL as
    well as the issuer, and an assertion may live up to 60 minutes."""
    result = await sign_in_through_openid_client(
        live_server, page, relying_party, account, **assertion_options
    )

    sent = result["assertion"]["payload"]
    if assertion_options.get("assertion_aud") == "token_endpoint":
        assert sent["aud"] == f"{live_server.url}/token"
    if "assertion_lifetime" in assertion_options:
        assert sent["exp"] - sent["iat"] == 3600
    assert result["claims"]["sub"].startswith(SUB_PREFIX)
    assert result["userinfo"]["email"] == account.email
