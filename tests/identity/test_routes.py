"""Routes and what each issuer is asked for. Sources: ipv-core-back new-p2-identity.yaml and
BuildCriOauthRequestHandler.java (capabilities-research.md §1.2, §1.6)."""

from __future__ import annotations

import dataclasses

from govsignin.identity.routes import ROUTES, evidence_requested, next_issuer, shared_claims
from tests.identity.builders import app, credential, fraud, passport, subject


def address_check(**person):
    check = credential("address", person=person or {"address": [{"postalCode": "BA2 5AA"}]})
    return dataclasses.replace(check, types=("VerifiableCredential", "AddressCredential"), evidence=())


def test_the_five_routes_of_new_p2_identity():
    assert ROUTES["web_passport"] == ("passport", "address", "fraud", "kbv")
    assert ROUTES["app"] == ("app", "address", "fraud")
    assert ROUTES["post_office"][-1] == "post-office" and ROUTES["no_photo_id"][:2] == ("bank-account", "nino")


def test_the_next_issuer_is_the_first_without_a_successful_credential():
    assert next_issuer("web_passport", []) == "passport"
    assert next_issuer("web_passport", [passport(validity=0)]) == "passport"
    assert next_issuer("web_passport", [passport()]) == "address"
    assert next_issuer("app", [app(), address_check(), fraud()]) is None


def test_kbv_asks_for_verification_1_at_p1_and_2_at_p2():
    assert evidence_requested("kbv", "P1") == {"scoringPolicy": "gpg45", "verificationScore": 1}
    assert evidence_requested("kbv", "P2") == {"scoringPolicy": "gpg45", "verificationScore": 2}


def test_fraud_asks_for_2_unless_a_strong_app_check_is_already_held():
    assert evidence_requested("fraud", "P2") == {"identityFraudScore": 2}
    assert evidence_requested("fraud", "P2", [app(strength=4, validity=2, level=3)]) == {"identityFraudScore": 1}
    assert evidence_requested("fraud", "P2", [app(strength=3, validity=2, level=3)]) == {"identityFraudScore": 2}


def test_the_post_office_is_asked_for_the_least_strength_that_reaches_a_profile():
    assert evidence_requested("post-office", "P2") == {"scoringPolicy": "gpg45", "strengthScore": 3}  # M1B, M2B
    assert evidence_requested("post-office", "P1") == {"scoringPolicy": "gpg45", "strengthScore": 2}  # L1A


def test_national_insurance_is_asked_for_strength_2_and_others_for_nothing():
    assert evidence_requested("nino", "P2") == {"scoringPolicy": "gpg45", "strengthScore": 2}
    assert evidence_requested("passport", "P2") is None and evidence_requested("address", "P2") is None


def test_shared_claims_come_from_successful_credentials_then_what_was_typed():
    typed = {"name": subject(family="Typed")["name"], "birthDate": [{"value": "1965-07-08"}]}
    assert shared_claims([], typed) == typed
    claims = shared_claims([passport(validity=0, person=subject(family="Wrong")), passport(),
                            address_check()], typed)
    assert claims["name"] == subject()["name"] and claims["address"] == [{"postalCode": "BA2 5AA"}]
