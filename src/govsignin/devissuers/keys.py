"""Each development issuer's own keys: an ES256 key that signs its VCs and an RSA key that
request objects are encrypted to. Kept in GOVSIGNIN_DEV_ISSUERS_KEY_DIR, one file per issuer,
created once (atomically, so workers starting together agree) and reused by every worker."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from joserfc.jwk import ECKey, RSAKey


@dataclass(frozen=True)
class IssuerKeys:
    signing: ECKey
    encryption: RSAKey

    @property
    def signing_hex(self) -> str:
        """Key ids are a SHA-256 in hex, as One Login's (of the key's RFC 7638 thumbprint here)."""
        return hashlib.sha256(self.signing.thumbprint().encode()).hexdigest()

    @property
    def encryption_kid(self) -> str:
        return hashlib.sha256(self.encryption.thumbprint().encode()).hexdigest()


def load_or_create(directory: str | Path, name: str) -> IssuerKeys:
    path = Path(directory) / f"{name}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = {
            "signing": ECKey.generate_key("P-256", private=True).as_dict(private=True),
            "encryption": RSAKey.generate_key(2048, private=True).as_dict(private=True),
        }
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(fresh, fh)
        try:
            os.link(temporary, path)  # fails if another process won the race: use its keys
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    stored = json.loads(path.read_text())
    return IssuerKeys(ECKey.import_key(stored["signing"]), RSAKey.import_key(stored["encryption"]))


def did_web(base_url: str) -> str:
    """did:web for an https URL with a path: host (port %-encoded), then the path's segments
    joined by `:` (resolves to <base_url>/did.json)."""
    parts = urlsplit(base_url)
    segments = [quote(s, safe="") for s in parts.path.strip("/").split("/") if s]
    return ":".join(["did:web", quote(parts.netloc, safe=""), *segments])
