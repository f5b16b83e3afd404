"""The CRI contract, govsignin's side: request objects, token exchange, credentials and the
checks on every VC (capabilities-research.md §1.2–1.5)."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwe, jwt
from joserfc.jwk import ECKey, RSAKey

from govsignin.identity.cri_client import (
    REQUEST_ENCRYPTION, CoreClient, CriUnavailable, InvalidCredential, IssuerKeys, authorization_url,
    client_assertion, exchange_code, fetch_credentials, verify_credential,
)
from govsignin.identity.cri_config import CriConfigError, parse_cri_configs

CORE_KEY = ECKey.generate_key("P-256", private=True)
CRI_SIGNING = ECKey.generate_key("P-256", private=True)
CRI_ENCRYPTION = RSAKey.generate_key(2048, private=True)
DID = "did:web:passport.example"
KID = f"{DID}#abc123"
CORE = CoreClient("https://core.example", "https://core.example/identity/callback/passport", "core-1", CORE_KEY)
SUB = "urn:fdc:gov.uk:2022:person-1"


def config(**override):
    entry = {
        "kind": "passport", "client_id": "govsignin", "component_id": "https://passport.example",
        "authorize_url": "https://passport.example/authorize", "token_url": "https://passport.example/token",
        "credential_url": "https://passport.example/credential/issue",
        "encryption_jwk": CRI_ENCRYPTION.as_dict(private=False),
        "signing_jwk": {**CRI_SIGNING.as_dict(private=False), "kid": KID},
    }
    entry.update(override)
    entry = {k: v for k, v in entry.items() if v is not None}
    return parse_cri_configs(json.dumps({"passport": entry}))["passport"]


def vc(claims=None, key=CRI_SIGNING, kid=KID, alg="ES256", **vc_override):
    now = int(time.time())
    body = {
        "iss": "https://passport.example", "sub": SUB, "nbf": now, "jti": "urn:uuid:1",
        "vc": {
            "type": ["VerifiableCredential", "IdentityCheckCredential"],
            "credentialSubject": {
                "name": [{"nameParts": [{"type": "GivenName", "value": "Kenneth"}, {"type": "FamilyName", "value": "Decerqueira"}]}],
                "birthDate": [{"value": "1965-07-08"}],
                "passport": [{"documentNumber": "321654987", "expiryDate": "2030-01-01", "icaoIssuerCode": "GBR"}],
            },
            "evidence": [{"type": "IdentityCheck", "txn": "t1", "strengthScore": 4, "validityScore": 2}],
            **vc_override,
        },
    }
    body.update(claims or {})
    return jwt.encode({"alg": alg, "typ": "JWT", "kid": kid}, body, key)


async def verify(token, cfg=None, keys=None, sub=SUB):
    return await verify_credential(token, cfg or config(), keys or IssuerKeys(), expected_sub=sub)


def test_the_request_object_is_signed_es256_inside_rsa_oaep_256_a256gcm():
    url = authorization_url(
        config(), CORE, sub=SUB, state="st", journey_id="j1",
        shared_claims={"name": [], "birthDate": [{"value": "1965-07-08"}]},
        evidence_requested={"scoringPolicy": "gpg45", "strengthScore": 4},
    )
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == ["govsignin"]
    decrypted = jwe.decrypt_compact(query["request"][0], CRI_ENCRYPTION, registry=REQUEST_ENCRYPTION)
    assert decrypted.protected == {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": "JWT"}
    token = jwt.decode(decrypted.plaintext, CORE_KEY, algorithms=["ES256"])
    assert token.header["alg"] == "ES256" and token.header["kid"] == "core-1"
    claims = token.claims
    assert (claims["iss"], claims["aud"], claims["sub"], claims["state"]) == ("https://core.example", "https://passport.example", SUB, "st")
    assert claims["redirect_uri"] == CORE.redirect_uri and claims["response_type"] == "code"
    assert claims["shared_claims"]["birthDate"] == [{"value": "1965-07-08"}]
    assert claims["evidence_requested"] == {"scoringPolicy": "gpg45", "strengthScore": 4}
    assert claims["exp"] > claims["nbf"] and claims["govuk_signin_journey_id"] == "j1"


def test_the_client_assertion_is_private_key_jwt_with_iss_and_sub_the_client_id():
    claims = jwt.decode(client_assertion(config(), CORE), CORE_KEY, algorithms=["ES256"]).claims
    assert claims["iss"] == claims["sub"] == "govsignin"
    assert claims["aud"] == "https://passport.example" and claims["jti"] and claims["exp"] > time.time()


async def test_the_token_exchange_sends_the_code_and_assertion_and_reads_a_bearer_token():
    seen = {}

    def handler(request):
        seen.update(parse_qs(request.content.decode()))
        return httpx.Response(200, json={"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        assert await exchange_code(http, config(), CORE, "the-code") == "tok"
    assert seen["code"] == ["the-code"] and seen["grant_type"] == ["authorization_code"]
    assert seen["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
    assert seen["redirect_uri"] == [CORE.redirect_uri]


@pytest.mark.parametrize("answer", [
    httpx.Response(500), httpx.Response(400, json={"error": "invalid_grant"}), httpx.Response(200, text="not json"),
    httpx.ConnectTimeout("slow"),
])
async def test_an_issuer_that_is_down_slow_or_wrong_is_unavailable_not_a_crash(answer):
    def handler(request):
        if isinstance(answer, Exception):
            raise answer
        return answer

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(CriUnavailable):
            await exchange_code(http, config(), CORE, "c")
        with pytest.raises(CriUnavailable):
            await fetch_credentials(http, config(), "tok")


async def test_credentials_come_as_one_jwt_or_a_json_list_with_a_pending_status():
    token = vc()

    def handler(request):
        assert request.headers["authorization"] == "Bearer tok"
        if "json" in str(request.url):
            return httpx.Response(200, json={"sub": SUB, "https://vocab.account.gov.uk/v1/credentialJWT": [],
                                             "https://vocab.account.gov.uk/v1/credentialStatus": "pending"})
        return httpx.Response(200, text=token, headers={"content-type": "application/jwt"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        assert (await fetch_credentials(http, config(), "tok")).jwts == [token]
        pending = await fetch_credentials(http, config(credential_url="https://passport.example/json"), "tok")
        assert pending.pending and pending.jwts == []


async def test_a_good_credential_verifies():
    credential = await verify(vc())
    assert credential.cri == "passport" and credential.document_type == "passport"
    assert credential.evidence[0]["strengthScore"] == 4 and credential.jti == "urn:uuid:1"


async def test_a_tampered_credential_is_refused():
    header, payload, signature = vc().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["vc"]["evidence"][0]["strengthScore"] = 4
    claims["vc"]["evidence"][0]["validityScore"] = 4
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidCredential, match="signature"):
        await verify(f"{header}.{forged}.{signature}")


async def test_a_credential_signed_by_another_key_is_refused():
    with pytest.raises(InvalidCredential, match="signature"):
        await verify(vc(key=ECKey.generate_key("P-256", private=True)))


async def test_an_expired_credential_is_refused():
    with pytest.raises(InvalidCredential, match="expired"):
        await verify(vc({"exp": int(time.time()) - 3600}))


async def test_a_credential_for_another_person_is_refused():
    with pytest.raises(InvalidCredential, match="another person"):
        await verify(vc(), sub="urn:fdc:gov.uk:2022:someone-else")


@pytest.mark.parametrize("claims,message", [
    ({"iss": "https://evil.example"}, "iss"),
    ({"nbf": int(time.time()) + 3600}, "nbf"),
    ({"nbf": None}, "nbf"),
    ({"vc": None}, "vc claim"),
    ({"vc": {"type": ["VerifiableCredential", "Unknown"]}}, "type"),
])
async def test_wrong_issuer_future_or_missing_nbf_and_bad_shapes_are_refused(claims, message):
    with pytest.raises(InvalidCredential, match=message):
        await verify(vc(claims))


@pytest.mark.parametrize("override,message", [
    ({"evidence": [{"type": "IdentityCheck", "strengthScore": 9, "validityScore": 2}]}, "strengthScore"),
    ({"evidence": []}, "no evidence"),
    ({"credentialSubject": {"name": [{"nameParts": [{"type": "Nick", "value": "K"}]}]}}, "nameParts"),
    ({"evidence": [{"type": "IdentityCheck", "ci": "D02"}]}, "ci"),
])
async def test_the_vc_shape_is_checked(override, message):
    with pytest.raises(InvalidCredential, match=message):
        await verify(vc(**override))


async def test_the_kid_must_be_a_did_web_url_and_the_alg_es256():
    with pytest.raises(InvalidCredential, match="did:web"):
        await verify(vc(kid="abc123"))
    with pytest.raises(InvalidCredential, match="ES256"):
        await verify(vc(alg="HS256", key=__import__("joserfc.jwk").jwk.OctKey.generate_key(256)))


async def test_keys_come_from_the_issuers_did_document_at_its_fixed_url():
    document = {"id": DID, "assertionMethod": [
        {"id": KID, "type": "JsonWebKey", "controller": DID, "publicKeyJwk": CRI_SIGNING.as_dict(private=False)},
    ]}
    fetched = []

    def handler(request):
        fetched.append(str(request.url))
        return httpx.Response(200, json=document)

    cfg = config(signing_jwk=None, did_url="https://passport.example/.well-known/did.json")
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        keys = IssuerKeys(http)
        assert (await verify(vc(), cfg, keys)).cri == "passport"
        await verify(vc(), cfg, keys)
        assert fetched == ["https://passport.example/.well-known/did.json"]  # cached
        with pytest.raises(InvalidCredential, match="DID document"):
            await verify(vc(kid="did:web:other.example#abc123"), cfg, keys)


def test_configuration_errors_name_the_issuer_and_field():
    with pytest.raises(CriConfigError, match="missing .*token_url"):
        parse_cri_configs(json.dumps({"passport": {"kind": "passport"}}))
    with pytest.raises(CriConfigError, match="exactly one of signing_jwk or did_url"):
        config(did_url="https://x/did.json")
    with pytest.raises(CriConfigError, match="kind"):
        config(kind="horoscope")
