"""A demo relying party: one small GOV.UK-style service that signs in with govsignin.

It does what the One Login technical documentation tells a service to do, using Authlib's OAuth
client and nothing provider-specific:

- ``/start`` sends the browser to ``/authorize`` with ``state``, ``nonce``, PKCE S256 and the
  service's ``vtr``;
- ``/callback`` redeems the code at ``/token`` with a ``private_key_jwt`` assertion (ES256 or
  RS256), validates the ID token (signature from the JWKS, ``iss``, ``aud``, ``exp``, ``iat``,
  ``nonce``, ``at_hash``; plus ``vot``), calls ``/userinfo`` and starts a local session;
- ``/sign-out`` ends the local session and sends the browser to ``/logout`` with
  ``id_token_hint``, ``post_logout_redirect_uri`` and ``state``; ``/signed-out`` checks that state;
- ``POST /backchannel-logout`` verifies a logout token against the provider's JWKS and ends that
  user's local sessions.

Local sessions live in memory (a cookie holds only a random id), so a back-channel logout can end
them. This is a demo: one process, no persistence.
"""

from __future__ import annotations

import secrets
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from authlib.deprecate import AuthlibDeprecationWarning

# Authlib 1.7+ warns on import that its httpx integration will move to httpx2: not ours to fix.
warnings.filterwarnings("ignore", "The httpx module is deprecated", AuthlibDeprecationWarning)

from authlib.integrations.starlette_client import OAuth, OAuthError  # noqa: E402
from authlib.oauth2.rfc7523 import PrivateKeyJWT  # noqa: E402
from jinja2 import Environment, FileSystemLoader, select_autoescape  # noqa: E402
from joserfc import jwt  # noqa: E402
from joserfc.errors import InvalidKeyIdError, JoseError  # noqa: E402
from joserfc.jwk import KeySet  # noqa: E402
from joserfc.jwt import JWTClaimsRegistry  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.middleware.sessions import SessionMiddleware  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response  # noqa: E402
from starlette.routing import Mount, Route  # noqa: E402
from starlette.staticfiles import StaticFiles  # noqa: E402

from demo.keys import load_signing_key  # noqa: E402
from demo.services import SERVICES, ServiceSpec  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOVUK_FRONTEND = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# One Login keeps a logout token's jti for 3 minutes; its tokens live 2 minutes.
JTI_MEMORY_SECONDS = 180
CLOCK_LEEWAY_SECONDS = 30

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


@dataclass
class SignedInUser:
    sub: str
    email: str | None
    email_verified: bool
    vot: str | None
    id_token: str
    op_sid: str | None  # the provider's `sid` from the ID token, if it sent one
    signed_in_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).strftime("%d %B %Y at %H:%M:%S UTC")
    )


class LocalSessions:
    """This service's own sessions: cookie id -> signed-in user, in memory."""

    def __init__(self) -> None:
        self._users: dict[str, SignedInUser] = {}
        # ids of sessions a back-channel logout ended, so the next page can say why
        self._ended_by_provider: dict[str, float] = {}

    def start(self, user: SignedInUser) -> str:
        session_id = secrets.token_urlsafe(24)
        self._users[session_id] = user
        return session_id

    def get(self, session_id: str | None) -> SignedInUser | None:
        return self._users.get(session_id) if session_id else None

    def end(self, session_id: str | None) -> SignedInUser | None:
        return self._users.pop(session_id, None) if session_id else None

    def end_for(self, *, sub: str | None, op_sid: str | None) -> int:
        """End every session of this user (by `sub`), or of this provider session (by `sid`)."""
        doomed = [
            session_id
            for session_id, user in self._users.items()
            if (sub is not None and user.sub == sub)
            or (sub is None and op_sid is not None and user.op_sid == op_sid)
        ]
        now = time.time()
        for session_id in doomed:
            del self._users[session_id]
            self._ended_by_provider[session_id] = now
        return len(doomed)

    def was_ended_by_provider(self, session_id: str | None) -> bool:
        return bool(session_id) and session_id in self._ended_by_provider

    def forget_ended(self, session_id: str | None) -> None:
        self._ended_by_provider.pop(session_id, None)

    @property
    def subs(self) -> list[str]:
        return sorted({user.sub for user in self._users.values()})


class LogoutTokenError(Exception):
    """A logout token that must be refused; the message says why."""


class LogoutTokenVerifier:
    """Checks a back-channel logout token (OpenID Connect Back-Channel Logout 1.0, section 2.6)."""

    def __init__(self, *, issuer: str, client_id: str, oauth_client: Any) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.oauth_client = oauth_client
        self._seen_jti: dict[str, float] = {}

    async def verify(self, logout_token: str) -> dict[str, Any]:
        token = await self._decode(logout_token)
        typ = str(token.header.get("typ", "")).lower()
        if typ not in ("logout+jwt", "application/logout+jwt"):
            raise LogoutTokenError(f"typ must be logout+jwt, not {token.header.get('typ')!r}")
        claims = token.claims
        registry = JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            iat={"essential": True},
            exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise LogoutTokenError(f"claims: {exc}") from exc
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
            raise LogoutTokenError(f"events must hold {BACKCHANNEL_LOGOUT_EVENT!r}")
        if "nonce" in claims:
            raise LogoutTokenError("a logout token must not carry a nonce")
        if not claims.get("sub") and not claims.get("sid"):
            raise LogoutTokenError("a logout token must carry sub or sid")
        self._remember_jti(str(claims["jti"]))
        return claims

    async def _decode(self, logout_token: str) -> jwt.Token:
        metadata = await self.oauth_client.load_server_metadata()
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["ES256", "RS256"]
        for force in (False, True):
            key_set = KeySet.import_key_set(await self.oauth_client.fetch_jwk_set(force=force))
            try:
                return jwt.decode(logout_token, key_set, algorithms=algorithms)
            except InvalidKeyIdError:
                if force:
                    raise LogoutTokenError("signed with a key that is not in the JWKS") from None
            except (JoseError, ValueError) as exc:
                raise LogoutTokenError(f"not a valid signed JWT: {exc}") from exc
        raise AssertionError("unreachable")

    def _remember_jti(self, jti: str) -> None:
        now = time.time()
        for old, seen_at in list(self._seen_jti.items()):
            if now - seen_at > JTI_MEMORY_SECONDS:
                del self._seen_jti[old]
        if jti in self._seen_jti:
            raise LogoutTokenError("this logout token (jti) was already used")
        self._seen_jti[jti] = now


def create_app(
    service: ServiceSpec | str,
    *,
    issuer: str,
    client_id: str,
    private_key_path: str | Path,
    base_url: str | None = None,
    session_secret: str | None = None,
) -> Starlette:
    """Build one demo service.

    `issuer` is the provider's issuer (also where discovery is fetched from), `client_id` what
    ``govsignin services add`` returned, `private_key_path` the PEM private key whose public half
    was registered, and `base_url` where this service is reached (``http://localhost:<port>``;
    its redirect, post-logout and back-channel URIs hang off it).
    """
    spec = SERVICES[service] if isinstance(service, str) else service
    base_url = (base_url or f"http://localhost:{spec.port}").rstrip("/")
    signing_key = load_signing_key(Path(private_key_path), spec.client_key_alg)

    oauth = OAuth()
    provider = oauth.register(
        name="govsignin",
        client_id=client_id,
        client_secret=signing_key,
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid email",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "private_key_jwt",
            "timeout": 15,
        },
        client_auth_methods=[PrivateKeyJWT(alg=spec.client_key_alg, headers={"kid": signing_key.kid})],
    )
    sessions = LocalSessions()
    verifier = LogoutTokenVerifier(issuer=issuer, client_id=client_id, oauth_client=provider)
    backchannel_log: list[dict[str, Any]] = []
    cookie_name = f"demo_{spec.slug}_session"

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("user", current_user(request))
        html = templates.get_template(name).render(
            service=spec, issuer=issuer, styled=GOVUK_FRONTEND.is_dir(), **context
        )
        return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})

    def current_user(request: Request) -> SignedInUser | None:
        return sessions.get(request.session.get("sid"))

    def problem(request: Request, message: str, detail: str | None = None, status_code: int = 400):
        return render(request, "error.html", status_code=status_code, message=message, detail=detail)

    async def home(request: Request) -> Response:
        if current_user(request):
            return RedirectResponse("/account", status_code=303)
        notice = None
        session_id = request.session.get("sid")
        if sessions.was_ended_by_provider(session_id):
            notice = "You were signed out because you signed out of your govsignin account."
            sessions.forget_ended(session_id)
            request.session.pop("sid", None)
        return render(request, "start.html", notice=notice)

    async def start(request: Request) -> Response:
        return await provider.authorize_redirect(request, f"{base_url}/callback", vtr=spec.vtr)

    async def callback(request: Request) -> Response:
        try:
            token = await provider.authorize_access_token(
                request,
                # Authlib checks the signature, exp, iat, nonce and at_hash; these two say
                # the issuer must be byte-identical and aud must hold this client_id
                claims_options={
                    "iss": {"essential": True, "value": issuer},
                    "aud": {"essential": True, "value": client_id},
                },
            )
        except OAuthError as exc:
            return problem(request, "Signing in did not work.", f"{exc.error}: {exc.description}")
        except Exception as exc:  # a bad ID token, or the provider refused the code
            return problem(request, "Signing in did not work.", f"{type(exc).__name__}: {exc}")
        claims = token.get("userinfo")
        if not claims:
            return problem(request, "The provider sent no ID token.")
        if claims.get("vot") != spec.vot:
            return problem(
                request,
                "You did not sign in at the level this service needs.",
                f"vot {claims.get('vot')!r}, expected {spec.vot!r}",
            )
        try:
            userinfo = await provider.userinfo(token=token)
        except Exception as exc:
            return problem(request, "Could not get your details.", f"{type(exc).__name__}: {exc}")
        if userinfo.get("sub") != claims["sub"]:
            return problem(request, "Your details did not match your sign-in.", "userinfo sub differs")
        sessions.end(request.session.get("sid"))
        request.session["sid"] = sessions.start(
            SignedInUser(
                sub=claims["sub"],
                email=userinfo.get("email"),
                email_verified=bool(userinfo.get("email_verified")),
                vot=claims.get("vot"),
                id_token=token["id_token"],
                op_sid=claims.get("sid"),
            )
        )
        return RedirectResponse("/account", status_code=303)

    async def account(request: Request) -> Response:
        user = current_user(request)
        if not user:
            return RedirectResponse("/", status_code=303)
        return render(request, "account.html", user=user)

    async def sign_out(request: Request) -> Response:
        user = sessions.end(request.session.pop("sid", None))
        if not user:
            return RedirectResponse("/", status_code=303)
        return await provider.logout_redirect(
            request,
            post_logout_redirect_uri=f"{base_url}/signed-out",
            id_token_hint=user.id_token,
        )

    async def signed_out(request: Request) -> Response:
        if "error" in request.query_params or "error_code" in request.query_params:
            return problem(
                request,
                "Signing out did not finish.",
                request.query_params.get("error_description") or request.query_params.get("error"),
            )
        try:
            await provider.validate_logout_response(request)
        except OAuthError as exc:
            return problem(request, "Signing out did not finish.", exc.description)
        return render(request, "signed_out.html", user=None)

    async def backchannel_logout(request: Request) -> Response:
        headers = {"Cache-Control": "no-store"}
        form = await request.form()
        logout_token = form.get("logout_token")
        if not isinstance(logout_token, str) or not logout_token:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "missing logout_token"},
                status_code=400,
                headers=headers,
            )
        try:
            claims = await verifier.verify(logout_token)
        except LogoutTokenError as exc:
            backchannel_log.append({"accepted": False, "reason": str(exc), "at": time.time()})
            return JSONResponse(
                {"error": "invalid_request", "error_description": str(exc)},
                status_code=400,
                headers=headers,
            )
        ended = sessions.end_for(sub=claims.get("sub"), op_sid=claims.get("sid"))
        backchannel_log.append(
            {
                "accepted": True,
                "sub": claims.get("sub"),
                "sid": claims.get("sid"),
                "jti": claims["jti"],
                "sessions_ended": ended,
                "at": time.time(),
            }
        )
        return Response(status_code=200, headers=headers)

    async def demo_state(request: Request) -> Response:
        """What this demo service holds, for people and tests poking at the demo."""
        return JSONResponse(
            {
                "service": spec.slug,
                "client_id": client_id,
                "signed_in_subs": sessions.subs,
                "backchannel_logouts": backchannel_log,
            }
        )

    routes = [
        Route("/", home),
        Route("/start", start),
        Route("/callback", callback),
        Route("/account", account),
        Route("/sign-out", sign_out),
        Route("/signed-out", signed_out),
        Route("/backchannel-logout", backchannel_logout, methods=["POST"]),
        Route("/demo/state.json", demo_state),
    ]
    if GOVUK_FRONTEND.is_dir():
        routes += [
            Mount("/assets", StaticFiles(directory=GOVUK_FRONTEND / "assets")),
            Mount("/govuk-frontend", StaticFiles(directory=GOVUK_FRONTEND)),
        ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=session_secret or secrets.token_urlsafe(32),
                session_cookie=cookie_name,  # services share `localhost`, whose cookies ignore ports
                same_site="lax",
                max_age=8 * 3600,
            )
        ],
    )
    app.state.spec = spec
    app.state.base_url = base_url
    app.state.sessions = sessions
    app.state.backchannel_logouts = backchannel_log
    return app
