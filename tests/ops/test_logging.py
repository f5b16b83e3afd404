"""JSON request logs: one line per request with a request id, and never a secret.

The main test drives a whole sign-in, token exchange and userinfo (plus a wrong password and a
wrong code) while capturing every byte the logging writes, then looks for each secret."""

from __future__ import annotations

import io
import json
import logging
from urllib.parse import urlencode

import httpx
import pyotp
import pytest
import structlog
from starlette.routing import Route

from govsignin.web.logging import SINK, configure_logging
from tests.support.rp import TestRP, make_citizen, post_page, redirect_params


@pytest.fixture
def captured():
    buffer = io.StringIO()
    configure_logging(stream=buffer, force=True)
    yield buffer
    configure_logging(force=True)  # back to stdout


def lines(buffer) -> list[dict]:
    SINK.drain()  # request lines are written at the end of the event-loop pass (web/logging.py)
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


async def test_a_whole_sign_in_logs_no_secret(client, services, captured):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    params = rp.authorize_params()
    response = await client.get("/authorize?" + urlencode(params))
    assert response.status_code == 302
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    wrong_password = "not-the-password-" + pyotp.random_base32()[:8]
    assert (await post_page(client, "/enter-password", password=wrong_password)).status_code == 400
    await post_page(client, "/enter-password", password=citizen.password)
    totp = pyotp.TOTP(citizen.totp_secret)
    code_now = citizen.code()
    wrong_code = next(c for c in ("000000", "111111", "222222") if c != code_now)
    assert (await post_page(client, "/enter-authenticator-app-code", code=wrong_code)).status_code == 400
    await post_page(client, "/enter-authenticator-app-code", code=code_now)
    final = await client.get("/auth-code")
    code = redirect_params(final)["code"]
    form = rp.token_form(code)
    token = (await client.post("/token", data=form)).json()
    userinfo = await client.get("/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert userinfo.status_code == 200
    replay = await client.post("/token", data=rp.token_form(code))  # a replayed code, new assertion
    assert replay.status_code == 400

    # Deliberate attempts to log secrets, through structlog and the standard library.
    structlog.get_logger("test").warning(
        "careless", password=citizen.password, client_assertion=form["client_assertion"],
        headers={"cookie": "gs=" + "x" * 20}, details={"access_token": token["access_token"]},
    )
    logging.getLogger("some.library").warning("got token %s", token["id_token"])

    output = captured.getvalue()
    secrets = {
        "password": citizen.password,
        "wrong password": wrong_password,
        "totp secret": citizen.totp_secret,
        "authorization code": code,
        "access token": token["access_token"],
        "id token": token["id_token"],
        "id token signature": token["id_token"].rsplit(".", 1)[1],
        "client assertion": form["client_assertion"],
        "state": params["state"],
        "nonce": params["nonce"],
        "email": citizen.email,
    }
    for name, value in client.cookies.items():
        secrets[f"cookie {name}"] = value
    for offset in (-1, 0, 1):
        secrets[f"totp code {offset}"] = totp.at(__import__("time").time() + offset * 30)
    secrets["wrong code"] = wrong_code
    for name, value in secrets.items():
        if name.startswith(("totp code", "wrong code")):
            # six digits can occur by chance inside timestamps or durations: look at values only
            assert not any(value in str(v) for ln in lines(captured) for k, v in ln.items()
                           if k not in ("timestamp", "duration_ms")), name
        else:
            assert value not in output, f"the {name} appears in the log"

    records = lines(captured)
    requests = [r for r in records if r.get("event") == "request"]
    assert {r["route"] for r in requests} >= {"/authorize", "/enter-password", "/token", "/userinfo", "/auth-code"}
    for r in requests:
        assert len(r["request_id"]) == 32 and r["level"] == "info" and "?" not in r["path"]
        assert isinstance(r["status"], int) and r["duration_ms"] >= 0
    careless = next(r for r in records if r.get("event") == "careless")
    assert careless["password"] == careless["client_assertion"] == careless["headers"] == "[redacted]"
    assert careless["details"] == {"access_token": "[redacted]"}
    assert careless["request_id"] if "request_id" in careless else True


async def test_request_id_is_taken_when_valid_echoed_and_bound(client, captured):
    ok = await client.get("/healthz", headers={"X-Request-Id": "lb-1234.abcd_EF:9"})
    assert ok.headers["x-request-id"] == "lb-1234.abcd_EF:9"
    for bad in ("x" * 65, "has space", "semi;colon", "<script>", "é"):
        response = await client.get("/healthz", headers={"X-Request-Id": bad.encode("utf-8")})
        generated = response.headers["x-request-id"]
        assert generated != bad and len(generated) == 32 and int(generated, 16) >= 0
    records = [r for r in lines(captured) if r.get("event") == "request"]
    assert records[0]["request_id"] == "lb-1234.abcd_EF:9" and records[0]["route"] == "/healthz"
    assert "request_id" not in structlog.contextvars.get_contextvars()  # unbound afterwards


async def test_every_line_of_a_request_carries_its_id_even_a_500(settings, services, captured):
    from govsignin.app import create_app

    app = create_app(settings, services)

    async def boom(request):
        structlog.get_logger("test").info("inside the view")
        raise RuntimeError("boom")

    app.router.routes.append(Route("/boom/{thing}", boom))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=settings.issuer_url()) as http:
        response = await http.get("/boom/secret-path-part?code=abc123", headers={"X-Request-Id": "req-500"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-500"
    mine = [r for r in lines(captured) if r.get("request_id") == "req-500"]
    events = {r["event"] for r in mine}
    assert {"inside the view", "unhandled_error", "request"} <= events
    line = next(r for r in mine if r["event"] == "request")
    assert line["route"] == "/boom/{thing}" and line["status"] == 500
    assert "abc123" not in captured.getvalue()
