"""Encryption at rest and keyed hashes, built only from cryptography's recipes and hmac.

`SecretBox` encrypts signing keys and TOTP secrets with Fernet (AES-128-CBC + HMAC-SHA256).
GOVSIGNIN_KEY_ENCRYPTION_KEY may list several comma-separated keys: the first encrypts, all
decrypt, so the key-encryption key itself can be rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBox:
    def __init__(self, keys: str):
        self._fernet = MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:  # wrong or missing key: say so, never print the data
            raise RuntimeError(
                "A stored secret could not be decrypted: GOVSIGNIN_KEY_ENCRYPTION_KEY does not "
                "match the key it was encrypted with."
            ) from exc


def keyed_hash(key: str, value: str) -> str:
    """HMAC-SHA256 of a high-entropy random value (client secrets, tokens): fast and safe."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def token_hash(value: str) -> str:
    """Unkeyed SHA-256 for random bearer values used as store keys (codes, access tokens)."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
