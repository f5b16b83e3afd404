"""Vectors of trust, exactly as One Login reads them (onelogin-contract.md §1.2):

- a JSON array string of vectors (a bare vector string is tolerated inside a request object);
  `[]` means the default; each split on `.`; the C components sorted must be `Cl` or `Cl.Cm`;
  at most one P component from P0–P3; any other component is ignored (as One Login does);
- identity (P1+) with `Cl` alone is invalid; identity and non-identity vectors may not mix;
  any of these → "Request vtr not valid";
- a P level the service is not registered for, or identity for a client_secret_post service,
  → "Request vtr is not permitted";
- the lowest credential level is the one to authenticate; missing vtr means `Cl.Cm`.
"""

from govsignin.oidc import jsonsafe

from govsignin.oidc.errors import InvalidRequest, TemporarilyUnavailable, describe

CREDENTIAL_LEVELS = ("Cl", "Cl.Cm")
IDENTITY_LEVELS = ("P0", "P1", "P2", "P3")
NOT_VALID = describe("vtr")


def parse_vtr(raw: str | None, bare_vector_allowed: bool = False) -> tuple[str, list[str]]:
    """Return (lowest credential level, identity levels above P0). Raises InvalidRequest."""
    if raw is None:
        return "Cl.Cm", []
    try:
        vectors = jsonsafe.loads(raw)
    except ValueError:
        if not bare_vector_allowed:
            raise InvalidRequest(NOT_VALID)
        vectors = raw
    if isinstance(vectors, str) and bare_vector_allowed:
        vectors = [vectors]
    if vectors == []:
        return "Cl.Cm", []
    if not isinstance(vectors, list) or len(vectors) > 8:
        raise InvalidRequest(NOT_VALID)
    levels, identities = [], []
    for vector in vectors:
        if not isinstance(vector, str) or not vector:
            raise InvalidRequest(NOT_VALID)
        parts = vector.split(".")
        creds = sorted(p for p in parts if p.startswith("C"))
        ps = [p for p in parts if p.startswith("P")]
        if ".".join(creds) not in CREDENTIAL_LEVELS:
            raise InvalidRequest(NOT_VALID)
        if len(ps) > 1 or (ps and ps[0] not in IDENTITY_LEVELS):
            raise InvalidRequest(NOT_VALID)
        level = ".".join(creds)
        identity = ps[0] if ps and ps[0] != "P0" else None
        if identity and level == "Cl":
            raise InvalidRequest(NOT_VALID)
        levels.append(level)
        identities.append(identity)
    if any(identities) and not all(identities):
        raise InvalidRequest(NOT_VALID)
    lowest = min(levels, key=CREDENTIAL_LEVELS.index)
    return lowest, sorted({i for i in identities if i})


async def check_vtr(ctx):
    level, identity = parse_vtr(ctx.params.get("vtr"), bare_vector_allowed=ctx.from_request_object)
    if identity:
        if any(p not in ctx.client.client_locs for p in identity) or (
            ctx.client.token_auth_method == "client_secret_post"
        ):
            raise InvalidRequest(describe("vtr_not_permitted"))
        # Identity proving (identity/) is designed but not built yet: say so honestly.
        raise TemporarilyUnavailable(describe("identity_unavailable"))
    ctx.values["credential_level"] = level
    ctx.values["identity_levels"] = identity
