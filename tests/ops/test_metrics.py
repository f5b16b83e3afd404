"""Prometheus metrics: bounded labels (route templates, never URLs), domain counters, the
optional bearer token, and multiprocess mode for several workers."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
from prometheus_client import REGISTRY

from govsignin.web import metrics
from tests.support.rp import TestRP, code_for, make_citizen, post_page

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_requests_are_labelled_by_route_template_only(client):
    junk = uuid.uuid4().hex
    await client.get(f"/authorize?client_id={junk}&state={junk}")
    await client.get(f"/no/such/page/{junk}")
    await client.request("BREW", f"/token?{junk}")
    await client.get("/assets/rebrand/images/favicon.ico")
    text = (await client.get("/metrics")).text
    assert junk not in text
    assert 'govsignin_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/authorize"}' in text
    assert 'route="unmatched"' in text
    assert 'method="other",route="/token"' in text
    assert 'route="/assets/{path}"' in text
    assert value("govsignin_http_requests_total", route="/authorize", method="GET", status="400") >= 1


async def test_domain_counters(client, services):
    rp = await TestRP.create(services, id_token_alg="RS256")
    citizen = await make_citizen(services)
    before = {
        "cl": value("govsignin_sign_in_attempts_total", credential="Cl", outcome="success"),
        "cm": value("govsignin_sign_in_attempts_total", credential="Cm", outcome="success"),
        "tokens": value("govsignin_tokens_issued_total", grant_type="authorization_code", id_token_alg="RS256"),
        "email": value("govsignin_messages_sent_total", channel="email"),
    }
    code, _ = await code_for(client, rp, citizen)
    assert (await rp.token(client, code)).status_code == 200
    await services.messages.send_email(citizen.email, "email-code", {"code": "123456"})
    assert value("govsignin_sign_in_attempts_total", credential="Cl", outcome="success") == before["cl"] + 1
    assert value("govsignin_sign_in_attempts_total", credential="Cm", outcome="success") == before["cm"] + 1
    assert value("govsignin_tokens_issued_total", grant_type="authorization_code", id_token_alg="RS256") == before["tokens"] + 1
    assert value("govsignin_messages_sent_total", channel="email") == before["email"] + 1


async def test_password_lockout_is_counted(client, services, settings):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    failures = value("govsignin_sign_in_attempts_total", credential="Cl", outcome="failure")
    lockouts = value("govsignin_lockouts_total", kind="password")
    await client.get("/authorize", params=rp.authorize_params())
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    for _ in range(settings.max_password_retries):
        response = await post_page(client, "/enter-password", password="wrong-password")
    assert response.headers["location"] == "/account-locked"
    assert value("govsignin_lockouts_total", kind="password") == lockouts + 1
    assert value("govsignin_sign_in_attempts_total", credential="Cl", outcome="failure") == failures + settings.max_password_retries


async def test_metrics_token(settings, services):
    from govsignin.app import create_app

    app = create_app(settings.model_copy(update={"metrics_token": "scrape-me"}), services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.issuer_url()) as http:
        assert (await http.get("/metrics")).status_code == 401
        assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        ok = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/plain")
    off = create_app(settings.model_copy(update={"metrics_enabled": False}), services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=off), base_url=settings.issuer_url()) as http:
        assert (await http.get("/metrics")).status_code == 404


def test_multiprocess_mode_adds_up_workers(tmp_path):
    """Two 'workers' count into PROMETHEUS_MULTIPROC_DIR; a third process serves the sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom")}
    count = "from govsignin.web import metrics; metrics.token_issued('authorization_code', 'ES256'); metrics.message_sent('sms')"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, cwd=ROOT)
    scrape = (
        "from prometheus_client import generate_latest; from govsignin.web import metrics; "
        "print(generate_latest(metrics._registry()).decode())"
    )
    out = subprocess.run([sys.executable, "-c", scrape], env=env, check=True, cwd=ROOT, capture_output=True, text=True).stdout
    assert 'govsignin_tokens_issued_total{grant_type="authorization_code",id_token_alg="ES256"} 2.0' in out
    assert 'govsignin_messages_sent_total{channel="sms"} 2.0' in out
    assert metrics.MULTIPROC_DIR is None  # this process is in single-process mode
