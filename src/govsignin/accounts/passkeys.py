"""Passkeys (WebAuthn) with py_webauthn: registration and authentication ceremonies.

The relying party id is the issuer's host (``localhost`` in tests) and the expected origin is the
issuer's origin, so a passkey made here works only here. Challenges are random (py_webauthn uses
`secrets`), kept in the shared store for 5 minutes under a caller-chosen scope (the journey or
browser session id) and popped when a response is verified: each is single use.

Registration (account creation, adding a passkey on the account pages)::

    passkeys = Passkeys.of(services)
    options_json = await passkeys.registration_options(scope=journey.id, user_handle=handle,
                                                       email=email, exclude=[...credential ids])
    # browser: navigator.credentials.create(options) → JSON (static/passkey.js)
    new = await passkeys.verify_registration(scope=journey.id, response_json=posted)  # NewPasskey
    passkeys.add_to(db, user_id, new)            # inside the caller's transaction

Authentication (passkey sign-in, offered on the email page before any email is given)::

    options_json = await passkeys.authentication_options(scope=journey.id)
    # browser: navigator.credentials.get(options), conditional or modal → JSON
    signed_in = await passkeys.verify_authentication(scope=journey.id, response_json=posted)
    signed_in.user_id   # whose passkey it was; the sign count is updated (a clone is refused)

The options never name credentials (no `allowCredentials`): any discoverable passkey for this
site may answer, and the response's credential id and user handle say whose it is. Options that
listed an account's credentials would tell whoever asked that the account exists and has a
passkey.

Every failure raises `PasskeyError` (a bad, replayed or foreign response, an unknown credential,
an expired challenge); its message is safe to log, not meant for the page.

py_webauthn (with pyOpenSSL, pyasn1 and cbor2 behind it, ~5 MiB per worker) is imported on first
use: only accounts with passkeys, and the pages that add one, need it.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import functools

from sqlalchemy import select, update

from govsignin.accounts.models import Passkey
from govsignin.db.base import utcnow

CHALLENGE_TTL = 300
TIMEOUT_MS = 120_000
MAX_RESPONSE = 64 * 1024


class PasskeyError(Exception):
    pass


@functools.cache
def known_transports() -> frozenset[str]:
    from webauthn.helpers.structs import AuthenticatorTransport

    return frozenset(t.value for t in AuthenticatorTransport)


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str  # base64url
    public_key: bytes
    sign_count: int
    transports: list[str]
    aaguid: str
    backed_up: bool
    user_handle: str  # base64url


@dataclass(frozen=True)
class Authenticated:
    user_id: str
    credential_id: str
    user_verified: bool


def rp_id(settings) -> str:
    return urlsplit(settings.issuer_url()).hostname or "localhost"


def expected_origin(settings) -> str:
    parts = urlsplit(settings.issuer_url())
    return f"{parts.scheme}://{parts.netloc}"


def _b64encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).decode().rstrip("=")  # = py_webauthn's bytes_to_base64url


def new_user_handle() -> str:
    """A random WebAuthn user.id (never the email or internal ids: authenticators may show it)."""
    return _b64encode(secrets.token_bytes(32))


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _descriptor(credential_id: str, transports: str = ""):
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

    return PublicKeyCredentialDescriptor(
        id=_b64decode(credential_id),
        transports=[AuthenticatorTransport(t) for t in transports.split(",") if t in known_transports()] or None,
    )


class Passkeys:
    def __init__(self, settings, sessionmaker, store):
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.store = store

    @classmethod
    def of(cls, services) -> Passkeys:
        return cls(services.settings, services.sessionmaker, services.store)

    # --- challenges -------------------------------------------------------------------------

    async def _remember(self, kind: str, scope: str, challenge: bytes, extra: dict | None = None) -> None:
        value = json.dumps({"c": _b64encode(challenge), **(extra or {})})
        await self.store.set(f"webauthn:{kind}:{scope}", value, CHALLENGE_TTL)

    async def _take(self, kind: str, scope: str) -> dict:
        raw = await self.store.pop(f"webauthn:{kind}:{scope}")
        if raw is None:
            raise PasskeyError("no outstanding challenge (expired, used, or never issued)")
        return json.loads(raw)

    # --- registration -----------------------------------------------------------------------

    async def registration_options(
        self, *, scope: str, user_handle: str, email: str, exclude: list[str] = (), display_name: str | None = None
    ) -> str:
        """The PublicKeyCredentialCreationOptions as JSON for `navigator.credentials.create`."""
        from webauthn import generate_registration_options, options_to_json
        from webauthn.helpers.structs import (
            AuthenticatorSelectionCriteria,
            ResidentKeyRequirement,
            UserVerificationRequirement,
        )

        options = generate_registration_options(
            rp_id=rp_id(self.settings),
            rp_name=self.settings.service_name,
            user_id=_b64decode(user_handle),
            user_name=email,
            user_display_name=display_name or email,
            timeout=TIMEOUT_MS,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[_descriptor(c) for c in exclude],
        )
        await self._remember("reg", scope, options.challenge, {"h": user_handle})
        return options_to_json(options)

    async def verify_registration(self, *, scope: str, response_json: str) -> NewPasskey:
        from webauthn import verify_registration_response
        from webauthn.helpers import bytes_to_base64url
        from webauthn.helpers.exceptions import WebAuthnException

        if not response_json or len(response_json) > MAX_RESPONSE:
            raise PasskeyError("no response, or one too large")
        remembered = await self._take("reg", scope)
        try:
            verified = verify_registration_response(
                credential=response_json,
                expected_challenge=_b64decode(remembered["c"]),
                expected_rp_id=rp_id(self.settings),
                expected_origin=expected_origin(self.settings),
                require_user_verification=True,
            )
            transports = json.loads(response_json).get("response", {}).get("transports") or []
        except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise PasskeyError(f"registration response refused: {exc}") from exc
        credential_id = bytes_to_base64url(verified.credential_id)
        async with self.sessionmaker() as db:
            taken = (await db.execute(select(Passkey.id).where(Passkey.credential_id == credential_id))).first()
        if taken:
            raise PasskeyError("this credential is already registered")
        return NewPasskey(
            credential_id=credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=[t for t in transports if isinstance(t, str) and t in known_transports()],
            aaguid=str(verified.aaguid),
            backed_up=bool(verified.credential_backed_up),
            user_handle=remembered["h"],
        )

    @staticmethod
    def add_to(db, user_id: str, new: NewPasskey, name: str = "") -> Passkey:
        """Add the verified passkey to an open session (the caller commits, with the account)."""
        row = Passkey(
            user_id=user_id, credential_id=new.credential_id, public_key=new.public_key,
            sign_count=new.sign_count, transports=",".join(new.transports), user_handle=new.user_handle,
            aaguid=new.aaguid, backed_up=new.backed_up, name=name[:64],
        )
        db.add(row)
        return row

    # --- authentication ---------------------------------------------------------------------

    async def for_user(self, user_id: str) -> list[Passkey]:
        async with self.sessionmaker() as db:
            return list(
                (await db.execute(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id))).scalars()
            )

    async def authentication_options(self, *, scope: str) -> str:
        """PublicKeyCredentialRequestOptions as JSON for `navigator.credentials.get`: no
        allowCredentials, so any discoverable passkey for this site may answer (the browser offers
        the choice) and the options say nothing about any account.

        The same JSON as py_webauthn's `generate_authentication_options(allow_credentials=None,
        user_verification=REQUIRED)` (tests/unit/test_passkey_options.py compares them), built
        here because every browser with WebAuthn asks for it on the email page: importing
        py_webauthn there would add ~5 MiB to every worker (docs/performance.md, "Memory per
        worker"). py_webauthn still verifies the response, on the rare path of a passkey sign-in.
        """
        challenge = secrets.token_bytes(64)  # = py_webauthn's generate_challenge()
        await self._remember("auth", scope, challenge)
        return json.dumps({
            "challenge": _b64encode(challenge),
            "timeout": TIMEOUT_MS,
            "rpId": rp_id(self.settings),
            "allowCredentials": [],
            "userVerification": "required",
        })

    async def verify_authentication(self, *, scope: str, response_json: str) -> Authenticated:
        from webauthn import verify_authentication_response
        from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
        from webauthn.helpers.exceptions import WebAuthnException

        if not response_json or len(response_json) > MAX_RESPONSE:
            raise PasskeyError("no response, or one too large")
        remembered = await self._take("auth", scope)
        try:
            credential = parse_authentication_credential_json(response_json)
        except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
            raise PasskeyError(f"authentication response unreadable: {exc}") from exc
        credential_id = bytes_to_base64url(credential.raw_id)
        async with self.sessionmaker() as db:
            stored = (
                await db.execute(select(Passkey).where(Passkey.credential_id == credential_id))
            ).scalar_one_or_none()
        if stored is None:
            raise PasskeyError("unknown credential")
        handle = credential.response.user_handle
        # Discoverable credentials must return the user handle (WebAuthn §7.2 step 6): it and
        # the credential id must both name the stored passkey.
        if handle is None or bytes_to_base64url(handle) != stored.user_handle:
            raise PasskeyError("no user handle, or one that does not match the credential")
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=_b64decode(remembered["c"]),
                expected_rp_id=rp_id(self.settings),
                expected_origin=expected_origin(self.settings),
                credential_public_key=stored.public_key,
                credential_current_sign_count=stored.sign_count,
                require_user_verification=True,
            )
        except WebAuthnException as exc:  # includes a sign count that went backwards (a clone)
            raise PasskeyError(f"authentication response refused: {exc}") from exc
        async with self.sessionmaker() as db, db.begin():
            result = await db.execute(
                update(Passkey)
                .where(Passkey.id == stored.id, Passkey.sign_count == stored.sign_count)
                .values(sign_count=verified.new_sign_count, last_used_at=utcnow())
            )
        if result.rowcount != 1:
            raise PasskeyError("the passkey was used concurrently")
        return Authenticated(stored.user_id, credential_id, verified.user_verified)
