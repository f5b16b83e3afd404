"""An in-process test relying party: registers itself, walks the sign-in pages with httpx,
and makes token requests with private_key_jwt. Protocol tests build on it."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from govsignin.onboarding.registration import Registration, register

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "a-long-test-password-42"


def new_email() -> str:
    return f"citizen-{uuid.uuid4().hex[:10]}@example.com"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Citizen:
    email: str
    password: str
    totp_secret: str | None
    user_id: str

    def code(self, offset: int = 0) -> str:
        totp = pyotp.TOTP(self.totp_secret)
        return totp.at(time.time() + offset * 30)


async def make_citizen(services, totp: bool = True, phone: str | None = None) -> Citizen:
    secret = pyotp.random_base32() if totp else None
    email = new_email()
    user = await services.accounts.create(email, PASSWORD, phone, secret)
    return Citizen(email, PASSWORD, secret, user.id)


@dataclass
class TestRP:
    __test__ = False  # a helper, not a test class

    services: object
    alg: str = "ES256"
    id_token_alg: str = "ES256"
    redirect_uri: str = field(default_factory=lambda: f"https://rp-{uuid.uuid4().hex[:6]}.example.gov.uk/callback")
    client_id: str = ""
    key: object = None
    registration: dict = field(default_factory=dict)

    @classmethod
    async def create(cls, services, alg="ES256", **reg_kwargs) -> TestRP:
        rp = cls(services, alg=alg, id_token_alg=reg_kwargs.get("id_token_alg", "ES256"))
        if "redirect_uris" in reg_kwargs:
            rp.redirect_uri = reg_kwargs["redirect_uris"][0]
        rp.key = ECKey.generate_key("P-256", private=True) if alg == "ES256" else RSAKey.generate_key(2048, private=True)
        rp.key.ensure_kid()
        pem = rp.key.as_pem(private=False).decode()
        kwargs = dict(name="Test service", redirect_uris=[rp.redirect_uri], public_keys_pem=[pem],
                      post_logout_redirect_uris=[rp.redirect_uri.replace("/callback", "/signed-out")])
        kwargs.update(reg_kwargs)
        kwargs.setdefault("redirect_uris", [rp.redirect_uri])
        rp.registration = await register(services, Registration(**kwargs))
        rp.client_id = rp.registration["client_id"]
        return rp

    @property
    def settings(self):
        return self.services.settings

    def authorize_params(self, **overrides) -> dict:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid email phone",
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "vtr": '["Cl.Cm"]',
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}

    def assertion(self, aud: str | None = None, lifetime: int = 300, jti: str | None = None, **claims) -> str:
        now = int(time.time())
        body = {
            "iss": self.client_id, "sub": self.client_id, "aud": aud or self.settings.endpoint("/token"),
            "iat": now, "exp": now + lifetime, "jti": jti or str(uuid.uuid4()),
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode({"alg": self.alg, "kid": self.key.kid}, body, self.key)

    def request_object(self, **claims) -> str:
        now = int(time.time())
        body = {"iss": self.client_id, "client_id": self.client_id, "aud": self.settings.endpoint("/authorize"),
                "exp": now + 300, "nbf": now, "iat": now}
        body.update(claims)
        alg = "RS256" if self.alg == "RS256" else "ES256"
        return jwt.encode({"alg": alg, "kid": self.key.kid}, body, self.key)

    def token_form(self, code: str, **overrides) -> dict:
        form = {
            "grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": self.assertion(),
        }
        form.update(overrides)
        return {k: v for k, v in form.items() if v is not None}

    async def token(self, http, code: str, **overrides):
        return await http.post("/token", data=self.token_form(code, **overrides))

    async def verify_id_token(self, http, id_token: str) -> dict:
        jwks = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
        token = jwt.decode(id_token, jwks, algorithms=["ES256", "RS256"])
        return {"header": token.header, "claims": token.claims}


def redirect_params(response) -> dict:
    location = response.headers["location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def post_page(http, path: str, **fields):
    page = await http.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return await http.post(path, data={"csrf_token": csrf_of(page.text), **fields})


async def sign_in(http, citizen: Citizen, *, start_path: str | None = None, mfa: bool = True):
    """Walk the sign-in pages from wherever /authorize sent us; return the final redirect to the RP."""
    response = await post_page(http, "/sign-in-or-create")
    assert response.headers["location"] == "/enter-email"
    response = await post_page(http, "/enter-email", email=citizen.email)
    assert response.headers["location"] == "/enter-password", response.text
    response = await post_page(http, "/enter-password", password=citizen.password)
    if mfa:
        assert response.headers["location"] == "/enter-authenticator-app-code", response.headers.get("location")
        response = await post_page(http, "/enter-authenticator-app-code", code=citizen.code())
    assert response.headers["location"] == "/auth-code"
    return await http.get("/auth-code")


async def authorize_and_sign_in(http, rp: TestRP, citizen: Citizen, **params):
    params = rp.authorize_params(**params)
    response = await http.get("/authorize?" + urlencode(params))
    assert response.status_code == 302, response.text
    if response.headers["location"].startswith(rp.redirect_uri):
        return response, params
    assert response.headers["location"] == "/sign-in-or-create", response.headers["location"]
    mfa = json.loads(params.get("vtr", '["Cl.Cm"]')) != ["Cl"]
    final = await sign_in(http, citizen, mfa=mfa)
    return final, params


async def code_for(http, rp: TestRP, citizen: Citizen, **params) -> tuple[str, dict]:
    final, params = await authorize_and_sign_in(http, rp, citizen, **params)
    got = redirect_params(final)
    assert "code" in got, final.headers["location"]
    assert got["state"] == params["state"]
    return got["code"], params
