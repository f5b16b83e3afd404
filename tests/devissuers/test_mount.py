"""Where the development issuers are served: in development only, registered with the
provider; `govsignin dev-issuers` records a Post Office result for a check made over HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess

import httpx
import pytest

from govsignin.config import Settings
from govsignin.devissuers.mount import DevIssuersRefused, build
from govsignin.identity import cri_client
from tests.support.live import GOVSIGNIN, ROOT

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory):
    from govsignin.db import migrate
    from tests.support.databases import PostgresUnavailable, create_postgres_database, drop_postgres_database

    name = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('devissuers') / 'govsignin.db'}"
    else:
        try:
            name, url = create_postgres_database()
        except PostgresUnavailable as exc:
            pytest.skip(f"PostgreSQL tests skipped: {exc}")
    migrate.upgrade(Settings(env="test", database_url=url))
    yield url
    if name:
        drop_postgres_database(name)


def settings_for(database, tmp_path, **values):
    return Settings(**{"env": "development", "database_url": database, "issuer": "http://localhost:8000",
                       "dev_issuers_key_dir": str(tmp_path / "keys"), **values})


async def app_for(settings):
    from govsignin.app import create_app
    from govsignin.services import build_services

    services = build_services(settings)
    return create_app(settings, services), services


@pytest.mark.parametrize("values,served", [({}, True), ({"dev_issuers": False}, False), ({"env": "test"}, False)])
async def test_served_only_in_development_and_not_when_turned_off(database, tmp_path, values, served):
    app, services = await app_for(settings_for(database, tmp_path, **values))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000") as http:
            response = await http.get("/dev/cri/passport/did.json")
            assert (response.status_code == 200) is served
            assert ("post-office" in services.identity.issuers) is served  # registered with the provider
    finally:
        await services.close()


def test_production_refuses_them(database, tmp_path):
    with pytest.raises(DevIssuersRefused):
        build(settings_for(database, tmp_path, env="production"), services=None)


async def test_the_provider_receives_and_verifies_a_development_issuers_vc_once(database, tmp_path):
    """Identity.authorization_url and receive, the journey's calls, against the mounted issuer."""
    settings = settings_for(database, tmp_path)
    app, services = await app_for(settings)
    sub = "urn:fdc:gov.uk:2022:mary"
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000") as http:
            services.identity.use_http(http)
            url = await services.identity.authorization_url("driving-licence", sub=sub, state="st-1", journey_id="j", shared_claims={})
            assert (await http.get(url)).status_code == 302
            token = CSRF.search((await http.get("/dev/cri/driving-licence/check")).text).group(1)
            form = {"csrf_token": token, "personalNumber": "OYELA811308MA9XY", "surname": "Oyelaran", "givenNames": "Mary Adaeze",
                    "birthDate": "1988-11-30", "issueDate": "2021-02-01", "expiryDate": "2031-01-31", "issueNumber": "12"}
            callback = (await http.post("/dev/cri/driving-licence/check", data=form)).headers["location"]
            assert callback.startswith("http://localhost:8000/identity/callback/driving-licence?") and "state=st-1" in callback
            code = callback.split("code=")[1].split("&")[0]
            credentials, pending = await services.identity.receive("driving-licence", code, sub)
            assert not pending and credentials[0].evidence[0]["strengthScore"] == 3
            with pytest.raises(cri_client.InvalidCredential, match="already received"):
                await services.identity.verify_all("driving-licence", [credentials[0].jwt], sub)
            with pytest.raises(cri_client.CriUnavailable):
                await services.identity.receive("driving-licence", code, sub)  # the code is single use
    finally:
        await services.close()


def cli(env, *args):
    return subprocess.run([GOVSIGNIN, *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


async def test_a_post_office_check_completes_when_the_branch_result_is_recorded(database, tmp_path):
    settings = settings_for(database, tmp_path)
    app, services = await app_for(settings)
    sub = "urn:fdc:gov.uk:2022:kenneth"
    try:
        config = services.identity.issuers["post-office"]
        core = await services.identity.core.core_client("post-office")
        url = cri_client.authorization_url(config, core, sub=sub, state="st", journey_id="j", shared_claims={
            "name": [{"nameParts": [{"type": "GivenName", "value": "Kenneth"}, {"type": "FamilyName", "value": "Decerqueira"}]}],
            "birthDate": [{"value": "1965-07-08"}]})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000") as http:
            assert (await http.get(url)).status_code == 302  # the request object verified against did.json's key
            token = CSRF.search((await http.get("/dev/cri/post-office/check")).text).group(1)
            page = await http.post("/dev/cri/post-office/check", data={"csrf_token": token, "documentType": "passport", "documentNumber": "321654987"})
            assert "16 days" in page.text
            reference = re.search(r"(\d{16})", page.text).group(1)
            env = {**os.environ, "GOVSIGNIN_ENV": "development", "GOVSIGNIN_DATABASE_URL": database,
                   "GOVSIGNIN_ISSUER": "http://localhost:8000", "GOVSIGNIN_DEV_ISSUERS_KEY_DIR": settings.dev_issuers_key_dir}
            unknown = cli(env, "dev-issuers", "post-office-result", "--reference", "1234", "--outcome", "pass")
            assert unknown.returncode == 1 and "No Post Office check is waiting" in unknown.stderr
            done = cli(env, "dev-issuers", "post-office-result", "--reference", reference, "--outcome", "pass", "--json")
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout) == {"reference": reference, "outcome": "pass"}
            refused = cli({**env, "GOVSIGNIN_ENV": "test"}, "dev-issuers", "post-office-result", "--reference", reference, "--outcome", "pass")
            assert refused.returncode == 1 and "never served in production" in refused.stderr
        jwts = await services.identity.async_credentials.collect(sub, "post-office")
        credential = await cri_client.verify_credential(jwts[0], config, services.identity.issuer_keys, expected_sub=sub)
        assert credential.evidence[0]["verificationScore"] == 3 and credential.cri == "post-office"
    finally:
        await services.close()


def test_the_identity_key_ring_is_made_by_db_upgrade_and_rotated_on_its_own(database, tmp_path):
    env = {**os.environ, "GOVSIGNIN_ENV": "test", "GOVSIGNIN_DATABASE_URL": database}
    assert cli(env, "db", "upgrade", "--json").returncode == 0
    identity = json.loads(cli(env, "keys", "list", "--identity", "--json").stdout)
    tokens = json.loads(cli(env, "keys", "list", "--json").stdout)
    assert sorted(k["state"] for k in identity) == ["current", "next"]
    assert all(len(k["kid"]) == 64 and int(k["kid"], 16) >= 0 and k["alg"] == "ES256" for k in identity)
    assert not {k["kid"] for k in identity} & {k["kid"] for k in tokens}
    upcoming = next(k["kid"] for k in identity if k["state"] == "next")
    rotated = json.loads(cli(env, "keys", "rotate", "--identity", "--force", "--json").stdout)
    assert rotated["promoted"] == [upcoming]
    assert json.loads(cli(env, "keys", "list", "--json").stdout) == tokens  # the token keys are untouched
