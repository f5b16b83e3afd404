"""The core identity JWT, its key in /.well-known/did.json, and the claims in One Login's
shapes (onelogin-contract.md §1.5–1.6). Verified with authlib, not the JOSE library that signs."""

from __future__ import annotations

import time

import pytest
from authlib.jose import JsonWebKey, JsonWebToken

from govsignin.identity import claims
from tests.identity.builders import credential, driving_licence, passport


def resolve(document: dict, kid: str):
    """What tech-docs tells a service to do: split the kid at '#', the controller must be the
    document's id, the key is the assertionMethod whose id is the kid."""
    controller, _, _ = kid.partition("#")
    assert controller == document["id"]
    method = next(m for m in document["assertionMethod"] if m["id"] == kid)
    return JsonWebKey.import_key(method["publicKeyJwk"])


async def test_did_json_publishes_the_identity_key_and_not_the_token_keys(client, services):
    response = await client.get("/.well-known/did.json")
    assert response.status_code == 200 and "max-age=3600" in response.headers["cache-control"]
    document = response.json()
    host = services.settings.issuer_url().split("://")[1].rstrip("/").replace(":", "%3A")
    assert document["id"] == f"did:web:{host}"
    assert document["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"]
    methods = document["assertionMethod"]
    assert methods and all(m["id"].startswith(document["id"] + "#") and m["controller"] == document["id"] for m in methods)
    assert all(len(m["id"].split("#")[1]) == 64 and int(m["id"].split("#")[1], 16) >= 0 for m in methods)  # hex
    assert all(m["publicKeyJwk"]["crv"] == "P-256" and "d" not in m["publicKeyJwk"] for m in methods)
    token_kids = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert not token_kids & {m["publicKeyJwk"]["kid"] for m in methods}


async def test_the_core_identity_jwt_verifies_the_way_a_service_checks_it(client, services):
    name = [{"nameParts": [{"type": "GivenName", "value": "Kenneth"}, {"type": "FamilyName", "value": "Decerqueira"}]}]
    token = await services.identity.core.core_identity_jwt(
        sub="urn:fdc:gov.uk:2022:abc", aud="client-1", vot="P2", name=name, birth_date=[{"value": "1965-07-08"}],
    )
    document = (await client.get("/.well-known/did.json")).json()
    header = JsonWebToken(["ES256"]).decode(token, lambda h, p: resolve(document, h["kid"])).header
    assert header["alg"] == "ES256" and header["kid"].startswith("did:web:")
    claims_ = JsonWebToken(["ES256"]).decode(token, lambda h, p: resolve(document, h["kid"]))
    claims_.validate(now=int(time.time()))
    issuer = services.settings.issuer_url()
    assert (claims_["sub"], claims_["aud"], claims_["iss"], claims_["vot"]) == ("urn:fdc:gov.uk:2022:abc", "client-1", issuer, "P2")
    assert claims_["vtm"] == services.settings.endpoint("/trustmark")
    assert claims_["exp"] - claims_["iat"] == 1800 and claims_["nbf"] == claims_["iat"]
    assert claims_["vc"] == {
        "type": ["VerifiableCredential", "VerifiableIdentityCredential"],
        "credentialSubject": {"name": name, "birthDate": [{"value": "1965-07-08"}]},
    }
    with pytest.raises(ValueError):
        await services.identity.core.core_identity_jwt(sub="s", aud="a", vot="P0", name=name, birth_date=[])


async def test_rotating_the_identity_key_keeps_earlier_jwts_verifiable(client, services):
    core = services.identity.core
    before = await core.core_identity_jwt(sub="s", aud="a", vot="P1", name=[], birth_date=[])
    old_kid, _ = await core.signing_key()
    token_keys = {k["kid"] for k in await services.keys.list_keys()}
    await services.identity.keys.rotate(force=True)
    new_kid, _ = await core.signing_key()
    assert new_kid != old_kid
    assert {k["kid"] for k in await services.keys.list_keys()} == token_keys  # the token ring is untouched
    services.keys._ring = None
    document = (await client.get("/.well-known/did.json")).json()
    for token in (before, await core.core_identity_jwt(sub="s", aud="a", vot="P1", name=[], birth_date=[])):
        JsonWebToken(["ES256"]).decode(token, lambda h, p: resolve(document, h["kid"]))


def test_passport_and_driving_permit_claims_keep_only_one_logins_fields():
    held = passport()
    held.subject["passport"][0]["extra"] = "dropped"
    licence = driving_licence()
    licence.subject["drivingPermit"][0].update(issueNumber="23", issueDate="2018-04-19", expiryDate="2028-04-18", fullAddress="8 HADLEY ROAD")
    assert claims.passport([held]) == [{"documentNumber": "321654987", "icaoIssuerCode": "GBR", "expiryDate": "2030-01-01"}]
    assert claims.driving_permit([licence]) == [
        {"expiryDate": "2028-04-18", "issueNumber": "23", "issuedBy": "DVLA", "personalNumber": "DECER607085K99AE"}
    ]
    licence.subject["drivingPermit"][0]["issuedBy"] = "DVA"
    assert "issueNumber" not in claims.driving_permit([licence])[0]  # DVLA only


def test_the_address_claim_is_the_latest_address_check_in_postal_address_fields():
    old = credential("address", person={"address": [{"postalCode": "SA1 1AA"}]})
    new = credential("address", person={"address": [{"buildingNumber": "8", "streetName": "Hadley Road", "postalCode": "BA2 5AA",
                                                      "addressCountry": "GB", "validFrom": "2000-01-01", "note": "x"}]})
    assert claims.address([old, passport(), new]) == [
        {"buildingNumber": "8", "streetName": "Hadley Road", "postalCode": "BA2 5AA", "addressCountry": "GB", "validFrom": "2000-01-01"}
    ]


def test_the_core_identity_takes_the_current_name_from_the_document_check():
    name, birth = claims.core_identity([credential("fraud", identityFraudScore=2), passport()])
    assert name[0]["nameParts"][-1] == {"type": "FamilyName", "value": "Decerqueira"} and birth == [{"value": "1965-07-08"}]


def test_return_codes_are_a_list_of_code_objects():
    from govsignin.identity.assessment import assess
    from tests.identity.builders import NOW, fraud as fraud_check

    outcome = assess([passport(), fraud_check(fraud_score=0, ci=["MORTALITY"])], "P2", now=NOW)
    assert claims.return_codes(outcome.return_codes) == [{"code": "D"}]
