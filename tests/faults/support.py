"""Helpers for fault tests: a relying party registered through the CLI (the live server is another
process), citizens created through the CLI, and a browser (one cookie jar) that can talk to any
instance. Cookies on localhost are shared across ports, as behind one load balancer."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.cookiejar
import secrets
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pyotp
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.support.databases import PG_HOST, PG_PORT
from tests.support.live import LiveServer
from tests.support.rp import redirect_params


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_postgres(timeout: float = 60) -> bool:
    """True once PostgreSQL accepts a real connection (not only the TCP port)."""
    import asyncpg

    async def probe():
        conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="postgres", timeout=2)
        try:
            await conn.execute("SELECT 1")
        finally:
            await conn.close()

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            asyncio.run(probe())
            return True
        except Exception:
            time.sleep(0.3)
    return False


@dataclass
class Citizen:
    email: str
    password: str
    totp_secret: str

    @classmethod
    def new(cls) -> Citizen:
        return cls(
            email=f"fault-{uuid.uuid4().hex[:10]}@example.gov.uk",
            password=f"Fault-test-{secrets.token_hex(8)}-9",
            totp_secret=pyotp.random_base32(),
        )

    def add_args(self) -> list[str]:
        return ["accounts", "add", "--email", self.email, "--password", self.password, "--totp-secret", self.totp_secret]

    def code(self) -> str:
        return pyotp.TOTP(self.totp_secret).now()


@dataclass
class CliRP:
    """A relying party registered with `govsignin services add` against a live server."""

    issuer: str
    client_id: str
    key: ECKey
    redirect_uri: str

    @classmethod
    def register(cls, server: LiveServer, tmp_path: Path, issuer: str) -> CliRP:
        key = ECKey.generate_key("P-256", private=True)
        key.ensure_kid()
        pem = tmp_path / f"rp-{uuid.uuid4().hex[:6]}.pem"
        pem.write_bytes(key.as_pem(private=False))
        redirect_uri = f"https://rp-{uuid.uuid4().hex[:6]}.example.gov.uk/callback"
        made = server.cli("services", "add", "--name", "Fault test service", "--redirect-uri", redirect_uri,
                          "--public-key", str(pem))
        return cls(issuer, made["client_id"], key, redirect_uri)

    def authorize_query(self, **overrides) -> tuple[str, dict]:
        params = {
            "response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
            "scope": "openid email", "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
            "vtr": '["Cl.Cm"]',
        }
        params.update(overrides)
        return "/authorize?" + urlencode(params), params

    def token_form(self, code: str) -> dict:
        now = int(time.time())
        assertion = jwt.encode(
            {"alg": "ES256", "kid": self.key.kid},
            {"iss": self.client_id, "sub": self.client_id, "aud": self.issuer.rstrip("/") + "/token",
             "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())},
            self.key,
        )
        return {
            "grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }


@dataclass
class Browser:
    """One citizen's browser: one cookie jar, an httpx client per instance it talks to."""

    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)
    clients: dict = field(default_factory=dict)

    def at(self, server: LiveServer | str) -> httpx.AsyncClient:
        base = server if isinstance(server, str) else server.url
        if base not in self.clients:
            # Passing the CookieJar itself (not httpx.Cookies) shares it between clients.
            self.clients[base] = httpx.AsyncClient(base_url=base, cookies=self.jar, timeout=20)
        return self.clients[base]

    async def close(self) -> None:
        for c in self.clients.values():
            await c.aclose()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def assert_code_redirect(response, rp: CliRP, params: dict) -> str:
    assert response.status_code == 302, (response.status_code, response.text[:500])
    location = response.headers["location"]
    assert location.startswith(rp.redirect_uri), location
    got = redirect_params(response)
    assert "code" in got, location
    assert got["state"] == params["state"]
    return got["code"]


def pg_cluster() -> tuple[str, str] | None:
    """(version, name) of the local PostgreSQL cluster pg_ctlcluster controls, or None."""
    import shutil
    import subprocess

    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        return None
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == str(PG_PORT):
            return fields[0], fields[1]
    return None


def pg_ctl(cluster: tuple[str, str], action: str, check: bool = True) -> None:
    import subprocess

    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster[0], cluster[1], action],
        check=check, capture_output=True, text=True, timeout=60,
    )


def pg_running(cluster: tuple[str, str]) -> bool:
    import subprocess

    out = subprocess.run(["pg_lsclusters", "--no-header", cluster[0], cluster[1]], capture_output=True, text=True).stdout
    return "online" in out
