"""Pairwise subject identifiers in One Login's format (onelogin-contract.md §1.4).

sub = "urn:fdc:gov.uk:2022:" + base64url(SHA-256(sector_host ‖ internal_subject_id ‖ salt)),
43 characters without padding. The sector host is the sector identifier URI's host (without
"www."), or the host of the first redirect URI. Services sharing a sector share subs.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

PREFIX = "urn:fdc:gov.uk:2022:"


def sector_host(sector_identifier_uri: str | None, redirect_uris: list[str]) -> str:
    uri = sector_identifier_uri or redirect_uris[0]
    host = (urlsplit(uri).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def pairwise_sub(sector: str, internal_subject_id: str, salt: str) -> str:
    digest = hashlib.sha256((sector + internal_subject_id + salt).encode()).digest()
    return PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def subject_for(client, internal_subject_id: str, salt: str) -> str:
    if client.subject_type == "public":
        return pairwise_sub("public", internal_subject_id, salt)
    return pairwise_sub(
        sector_host(client.sector_identifier_uri, client.redirect_uris), internal_subject_id, salt
    )
