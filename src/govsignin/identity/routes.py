"""The routes to a new P2 identity, as data, and what govsignin asks each issuer for.

Source: ipv-core-back `lambdas/process-journey-event/…/journey-maps/new-p2-identity.yaml`
(the routes) and `lambdas/build-cri-oauth-request/…/BuildCriOauthRequestHandler.java`
(`evidence_requested` per issuer); capabilities-research.md §1.2 and §1.6. The pages that walk
a route are the journey's; this module only says which issuer comes next and what to send it.
"""

from __future__ import annotations

from govsignin.identity.credentials import Credential, verification_score
from govsignin.identity.gpg45 import profiles_for

# Each route's issuers, in order. The Post Office and no-photo-ID routes start from the name and
# date of birth the citizen typed (One Login's claimedIdentity issuer).
ROUTES: dict[str, tuple[str, ...]] = {
    "app": ("app", "address", "fraud"),
    "web_passport": ("passport", "address", "fraud", "kbv"),
    "web_driving_licence": ("driving-licence", "address", "fraud", "kbv"),
    "post_office": ("address", "fraud", "post-office"),
    "no_photo_id": ("bank-account", "nino", "address", "fraud", "kbv"),
}
CLAIMED_IDENTITY_ROUTES = frozenset({"post_office", "no_photo_id"})
SHARED_CLAIMS = ("name", "birthDate", "address")  # the attributes every issuer may receive (default)


def next_issuer(route: str, received: list[Credential]) -> str | None:
    """The first issuer of the route that has not yet given a successful credential."""
    done = {c.cri for c in received if c.succeeded()}
    return next((name for name in ROUTES[route] if name not in done), None)


def _strong_app_check(credentials: list[Credential]) -> bool:
    return any(
        c.cri == "app" and any(
            (e.get("strengthScore") or 0) >= 4 and (e.get("validityScore") or 0) >= 2 and verification_score(e) >= 3
            for e in c.evidence
        )
        for c in credentials
    )


def evidence_requested(issuer_kind: str, vot: str, received: list[Credential] = ()) -> dict | None:
    """BuildCriOauthRequestHandler's rules:
    - knowledge-based questions: verification 1 for P1, 2 for P2;
    - fraud: identity fraud score 2, or 1 when an app check already reached strength 4,
      validity 2 and verification 3;
    - the Post Office: the least strength that still reaches one of the level's profiles;
    - National Insurance on the no-photo-ID route: strength 2;
    - everything else: nothing."""
    if issuer_kind == "kbv":
        return {"scoringPolicy": "gpg45", "verificationScore": 1 if vot == "P1" else 2}
    if issuer_kind == "fraud":
        return {"identityFraudScore": 1 if _strong_app_check(list(received)) else 2}
    if issuer_kind == "post-office":
        strongest = min(max(e.strength for e in p.needs.evidences) for p in profiles_for(vot))
        return {"scoringPolicy": "gpg45", "strengthScore": strongest}
    if issuer_kind == "nino":
        return {"scoringPolicy": "gpg45", "strengthScore": 2}
    return None


def shared_claims(received: list[Credential], claimed: dict | None = None) -> dict:
    """What the next issuer is told (SharedClaims): the name and date of birth from the
    successful credentials (else what the citizen typed, `claimed`), and the address history
    from the address check, each value once."""
    claims: dict[str, list] = {k: [] for k in SHARED_CLAIMS}
    for credential in received:
        if not credential.succeeded():
            continue
        for key in SHARED_CLAIMS:
            for value in credential.subject.get(key) or ():
                if value not in claims[key]:
                    claims[key].append(value)
    for key, values in (claimed or {}).items():
        if key in claims and not claims[key]:
            claims[key] = list(values)
    return {k: v for k, v in claims.items() if v}
