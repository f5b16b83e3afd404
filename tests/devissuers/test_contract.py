"""The development issuers' side of the CRI contract over HTTP: what they refuse, and what
each one issues for the register's people (capabilities-research.md §1.2–1.5)."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jwk import ECKey

from govsignin.devissuers.app import UnknownReference
from govsignin.identity import cri_client
from tests.devissuers import routes
from tests.devissuers.support import ISSUER, text


async def authorize(core, name="passport", config=None, client=None, **kw):
    url = cri_client.authorization_url(
        config or core.configs[name], client or core.core_client(name), sub="urn:fdc:gov.uk:2022:x",
        state="s", journey_id="j", shared_claims={}, **kw,
    )
    return await core.http.get(url)


async def test_a_good_request_object_opens_a_session_and_sends_the_browser_to_the_form(core):
    response = await authorize(core)
    assert response.status_code == 302 and response.headers["location"] == "/dev/cri/passport/check"
    assert "devcri-passport" in response.headers["set-cookie"] and "HttpOnly" in response.headers["set-cookie"]


@pytest.mark.parametrize("case", ["wrong_key", "wrong_aud", "wrong_redirect", "bad_evidence", "not_encrypted", "other_client"])
async def test_request_objects_the_contract_refuses(core, case):
    config, client, extra = core.configs["passport"], core.core_client("passport"), {}
    if case == "wrong_key":
        client = dataclasses.replace(client, key=ECKey.generate_key("P-256", private=True))
    elif case == "wrong_aud":
        config = dataclasses.replace(config, component_id="https://elsewhere.example")
    elif case == "wrong_redirect":
        client = dataclasses.replace(client, redirect_uri="https://evil.example/callback")
    elif case == "bad_evidence":
        extra = {"evidence_requested": {"strengthScore": 9}}
    if case == "not_encrypted":
        response = await core.http.get("/dev/cri/passport/authorize", params={"client_id": "govsignin", "request": "a.b.c"})
    elif case == "other_client":
        response = await authorize(core, config=dataclasses.replace(config, client_id="someone-else"))
    else:
        response = await authorize(core, config=config, client=client, **extra)
    assert response.status_code in (400, 401) and "Sorry, there is a problem" in response.text


async def test_the_form_needs_its_csrf_token(core, person):
    await authorize(core)
    response = await core.http.post("/dev/cri/passport/check", data={"documentNumber": "1"})
    assert response.status_code == 400 and "expired" in response.text


async def test_a_missing_detail_gets_an_error_summary(core, person):
    await authorize(core)
    response = await core.post("passport", {"documentNumber": "", "surname": "X"})
    assert response.status_code == 400 and "There is a problem" in response.text and 'href="#documentNumber"' in response.text


async def test_codes_tokens_and_client_assertions_are_single_use(core, person):
    kenneth = person("kenneth-decerqueira")
    sub = routes.sub_for(kenneth)
    await core.start("passport", sub, kenneth.subject())
    response = await core.post("passport", routes.passport_form(kenneth))
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    config, client = core.configs["passport"], core.core_client("passport")
    token = await cri_client.exchange_code(core.http, config, client, code)
    with pytest.raises(cri_client.CriUnavailable, match="400"):
        await cri_client.exchange_code(core.http, config, client, code)  # the code again
    assertion = cri_client.client_assertion(config, client)
    form = {"grant_type": "authorization_code", "code": "x", "redirect_uri": client.redirect_uri,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": assertion}
    assert (await core.http.post("/dev/cri/passport/token", data=form)).status_code == 400
    replayed = await core.http.post("/dev/cri/passport/token", data=form)
    assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_client"
    forged = cri_client.client_assertion(config, dataclasses.replace(client, key=ECKey.generate_key("P-256", private=True)))
    assert (await core.http.post("/dev/cri/passport/token", data={**form, "client_assertion": forged})).status_code == 401
    assert len((await cri_client.fetch_credentials(core.http, config, token)).jwts) == 1
    with pytest.raises(cri_client.CriUnavailable, match="401"):
        await cri_client.fetch_credentials(core.http, config, token)


async def test_vcs_verify_through_the_issuers_did_document(core, person):
    kenneth = person("kenneth-decerqueira")
    document = (await core.http.get("/dev/cri/passport/did.json")).json()
    assert document["id"] == "did:web:localhost%3A8000:dev:cri:passport"
    method = document["assertionMethod"][0]
    assert method["id"].startswith(document["id"] + "#") and "d" not in method["publicKeyJwk"]
    config = dataclasses.replace(core.configs["passport"], signing_jwk=None, did_url=f"{ISSUER}/dev/cri/passport/did.json")
    sub = routes.sub_for(kenneth)
    await core.start("passport", sub, kenneth.subject())
    response = await core.post("passport", routes.passport_form(kenneth))
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    token = await cri_client.exchange_code(core.http, config, core.core_client("passport"), code)
    jwt = (await cri_client.fetch_credentials(core.http, config, token)).jwts[0]
    credential = await cri_client.verify_credential(jwt, config, cri_client.IssuerKeys(core.http), expected_sub=sub)
    assert credential.evidence[0]["strengthScore"] == 4 and credential.subject["passport"][0]["documentNumber"] == "321654987"
    with pytest.raises(cri_client.InvalidCredential, match="another person"):
        await cri_client.verify_credential(jwt, config, cri_client.IssuerKeys(core.http), expected_sub="urn:fdc:gov.uk:2022:someone")
    assert (await core.http.get("/dev/cri/passport/.well-known/jwks.json")).json()["keys"][0]["alg"] == "RSA-OAEP-256"


async def test_each_issuer_keeps_its_own_keys(core):
    kids = {c.signing_jwk["kid"] for c in core.configs.values()}
    assert len(kids) == len(core.configs) == 9


async def test_a_passport_with_details_that_differ_from_the_register_fails_with_a_ci(core, person):
    kenneth = person("kenneth-decerqueira")
    vc = await routes.document(core, "passport", kenneth, routes.passport_form(kenneth, birthDate="1965-07-09"))
    assert vc[0].evidence[0]["validityScore"] == 0 and vc[0].contra_indicators == ("NEEDS-ALTERNATE-DOC",)


async def test_a_licence_with_the_wrong_issue_number_fails(core, person):
    kenneth = person("kenneth-decerqueira")
    vc = await routes.document(core, "driving-licence", kenneth, routes.licence_form(kenneth, issueNumber="99"))
    assert vc[0].evidence[0]["validityScore"] == 0


async def test_the_address_issuer_looks_up_the_registers_postcodes(core, person):
    mary = person("mary-oyelaran")
    vc = await routes.address(core, mary)
    assert vc[0].types == ("VerifiableCredential", "AddressCredential")
    assert vc[0].subject["address"][0]["postalCode"] == "CF11 9HA"
    await core.start("address", routes.sub_for(mary), mary.subject())
    unknown = await core.post("address", {"postcode": "ZZ1 1ZZ"})
    assert unknown.status_code == 400 and "No addresses were found" in unknown.text


async def test_the_fraud_check_scores_a_clean_file_and_marks_identity_theft(core, person, monkeypatch):
    kenneth = person("kenneth-decerqueira")
    addresses = kenneth.record["addresses"]
    clean = (await routes.fraud(core, kenneth, addresses))[0].evidence[0]
    assert (clean["identityFraudScore"], clean["activityHistoryScore"], clean.get("ci")) == (2, 1, None)
    monkeypatch.setitem(kenneth.record, "flags", ["identity-theft"])
    marked = (await routes.fraud(core, kenneth, addresses))[0]
    assert marked.contra_indicators == ("IDENTITY-THEFT",) and marked.evidence[0]["identityFraudScore"] == 1


async def test_one_wrong_answer_lowers_the_verification_score(core, person):
    kenneth = person("kenneth-decerqueira")
    sub = routes.sub_for(kenneth)
    await core.start("kbv", sub, kenneth.subject())
    page = text(await core.http.get("/dev/cri/kbv/check"))
    session = await core.issuers.issuers["kbv"].protocol.session(core.http.cookies.get("devcri-kbv"))
    questions = session["step"]["questions"]
    assert [q["question"] for q in questions] == [q["question"] for q in kenneth.record["kbv"]]
    assert all(q["question"] in page for q in questions) and all(len(q["options"]) >= 3 for q in questions)
    answers = {q["question"]: q["answer"] for q in kenneth.record["kbv"]}
    form = {f"q{i}": answers[q["question"]] for i, q in enumerate(questions)}
    form["q0"] = next(o for o in questions[0]["options"] if o != answers[questions[0]["question"]])
    vc = await core.redeem("kbv", await core.post("kbv", form), sub)
    assert vc[0].evidence[0]["verificationScore"] == 1


async def test_the_app_needs_the_face_to_match(core, person):
    kenneth = person("kenneth-decerqueira")
    vc = (await routes.app(core, kenneth, face="no"))[0]
    assert vc.contra_indicators == ("NEEDS-LIVENESS-LIKENESS",)
    licence = (await routes.app(core, kenneth, kind="drivingPermit"))[0]
    assert (licence.evidence[0]["strengthScore"], licence.document_type) == (3, "drivingPermit")


async def test_a_post_office_fail_is_a_failed_vc_and_a_reference_is_used_once(core, person):
    kenneth = person("kenneth-decerqueira")
    vc = (await routes.post_office(core, kenneth, outcome=False))[0]
    assert vc.evidence[0]["validityScore"] == 0 and vc.evidence[0]["verificationScore"] == 0
    with pytest.raises(UnknownReference, match="16 days"):
        await core.issuers.post_office_result("0000 0000 0000 0000", True)


async def test_the_operator_page_lists_waiting_checks_and_records_a_result(core, person):
    kenneth = person("kenneth-decerqueira")
    sub = routes.sub_for(kenneth)
    await core.start("post-office", sub, kenneth.subject())
    await core.post("post-office", {"documentType": "passport", "documentNumber": "321654987"})
    reference = next(c["reference"] for c in await core.issuers.pending_checks() if c["sub"] == sub)
    page = (await core.http.get("/dev/cri/post-office/operator")).text
    assert reference in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    forged = await core.http.post("/dev/cri/post-office/operator", data={"reference": reference, "outcome": "pass"})
    assert forged.status_code == 400
    done = await core.http.post("/dev/cri/post-office/operator", data={"reference": reference, "outcome": "pass", "csrf_token": token})
    assert f"Recorded pass for reference {reference}" in done.text
    assert (await core.collect("post-office", sub))[0].evidence[0]["verificationScore"] == 3


async def test_bank_account_and_national_insurance_check_the_register(core, person):
    kenneth = person("kenneth-decerqueira")
    bank, nino = await routes.bank_and_nino(core, kenneth)
    assert (bank.evidence[0]["strengthScore"], bank.evidence[0]["validityScore"]) == (3, 2)
    assert (nino.evidence[0]["strengthScore"], nino.evidence[0]["validityScore"]) == (2, 2)
    sub = routes.sub_for(kenneth)
    await core.start("nino", sub, kenneth.subject())
    wrong = await core.redeem("nino", await core.post("nino", {"nino": "ZZ999999Z"}), sub)
    assert wrong[0].evidence[0]["validityScore"] == 0


async def test_dates_are_gov_uk_date_inputs_and_a_bad_one_is_an_error(core, person):
    kenneth = person("kenneth-decerqueira")
    sub = routes.sub_for(kenneth)
    page, _ = (await core.start("passport", sub, kenneth.subject()), await core.page("passport"))[1]
    assert 'name="birthDate-day"' in page and 'name="expiryDate-year"' in page
    typed = {"documentNumber": "321654987", "surname": "Decerqueira", "givenNames": "Kenneth",
             "birthDate-day": "8", "birthDate-month": "7", "birthDate-year": "1965",
             "expiryDate-day": "31", "expiryDate-month": "2", "expiryDate-year": "2030"}
    bad = await core.post("passport", typed)
    assert bad.status_code == 400 and 'href="#expiryDate"' in bad.text and "Enter a real date" in bad.text
    vc = await core.redeem("passport", await core.post("passport", {**typed, "expiryDate-day": "1", "expiryDate-month": "1"}), sub)
    assert vc[0].evidence[0]["validityScore"] == 2


async def test_an_issuers_vc_verifies_with_another_jose_library_from_its_did_document(core, person):
    from authlib.jose import JsonWebKey, JsonWebToken

    kenneth = person("kenneth-decerqueira")
    vc = (await routes.document(core, "passport", kenneth, routes.passport_form(kenneth)))[0]
    document = (await core.http.get("/dev/cri/passport/did.json")).json()

    def key(header, payload):
        assert header["kid"].split("#")[0] == document["id"]
        return JsonWebKey.import_key(next(m for m in document["assertionMethod"] if m["id"] == header["kid"])["publicKeyJwk"])

    claims = JsonWebToken(["ES256"]).decode(vc.jwt, key)
    assert claims["iss"] == core.configs["passport"].component_id and claims["vc"]["type"][1] == "IdentityCheckCredential"
