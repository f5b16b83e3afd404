"""Client signing keys for the demo services: made on first use, kept as PEM files."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey, RSAKey


def ensure_key_pair(private_path: Path, alg: str) -> Path:
    """Make sure a private key for `alg` (ES256 or RS256) exists at `private_path`.

    Writes the public half next to it (``*.pub.pem``, what ``govsignin services add
    --public-key`` takes) and returns that path. An existing key is kept as it is.
    """
    public_path = public_key_path(private_path)
    if not private_path.exists():
        private_path.parent.mkdir(parents=True, exist_ok=True)
        if alg == "ES256":
            key = ec.generate_private_key(ec.SECP256R1())
        elif alg == "RS256":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            raise ValueError(f"no key type for {alg!r}: use ES256 or RS256")
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        public_path.unlink(missing_ok=True)
    if not public_path.exists():
        key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        public_path.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return public_path


def public_key_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.name.removesuffix(".pem") + ".pub.pem")


def load_signing_key(private_path: Path, alg: str) -> ECKey | RSAKey:
    """The private key as a joserfc key, with its RFC 7638 thumbprint as `kid`."""
    key_cls = ECKey if alg == "ES256" else RSAKey
    key = key_cls.import_key(private_path.read_bytes())
    key.ensure_kid()
    return key


def thumbprint(private_path: Path, alg: str) -> str:
    return load_signing_key(private_path, alg).thumbprint()
