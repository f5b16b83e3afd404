"""A software passkey for in-process tests: a P-256 key stored on an account as a discoverable
credential, and WebAuthn assertions (navigator.credentials.get's JSON) signed with it.

Browser tests use Chromium's virtual authenticator instead; this one lets protocol and journey
tests answer the provider's options without a browser.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class SoftPasskey:
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    user_handle: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    async def register(self, services, user_id: str) -> None:
        """Store it on the account, as the account pages or account creation would."""
        from govsignin.accounts.models import MfaMethod, Passkey

        async with services.sessionmaker() as db, db.begin():
            db.add(Passkey(user_id=user_id, credential_id=b64url(self.credential_id), public_key=self.cose_public_key(),
                           sign_count=0, transports="internal", user_handle=b64url(self.user_handle), aaguid="",
                           backed_up=False, name="test"))
            db.add(MfaMethod(user_id=user_id, kind="passkey", priority="backup"))

    def attestation(self, options: dict, origin: str) -> str:
        """The JSON a browser posts for `navigator.credentials.create(options)` ("none" attestation)."""
        client_data = json.dumps({"type": "webauthn.create", "challenge": options["challenge"], "origin": origin,
                                  "crossOrigin": False}).encode()
        flags = 0x01 | 0x04 | 0x40  # user present, user verified, attested credential data
        auth_data = (hashlib.sha256(options["rp"]["id"].encode()).digest() + bytes([flags]) + struct.pack(">I", 0)
                     + bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
                     + self.cose_public_key())
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps({
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
            "response": {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation),
                         "transports": ["internal"]},
        })

    def assertion(self, options: dict, origin: str, *, user_verified: bool = True, user_handle: bytes | None = None) -> str:
        """The JSON a browser posts for `navigator.credentials.get(options)`."""
        self.sign_count += 1
        client_data = json.dumps({"type": "webauthn.get", "challenge": options["challenge"], "origin": origin,
                                  "crossOrigin": False}).encode()
        flags = 0x01 | (0x04 if user_verified else 0)  # user present, user verified
        auth_data = hashlib.sha256(options["rpId"].encode()).digest() + bytes([flags]) + struct.pack(">I", self.sign_count)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                "signature": b64url(signature), "userHandle": b64url(user_handle or self.user_handle),
            },
        })
