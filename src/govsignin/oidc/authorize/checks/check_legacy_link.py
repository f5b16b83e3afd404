""""Link your old account" (docs/migration.md): a service registered with a legacy system
(`services add --legacy-system NAME`) names the account signed in to that system as the claim
`legacy_subject_id` of a signed request object. The object's signature, lifetime and single use
(jti) were checked in load_request_object; here:

- outside a signed request object (a query parameter) it is refused: anyone could type one;
- a service with no legacy system, or an object naming another system (`legacy_system`), is
  refused;
- the id is a string of 1 to 256 characters.

Each failure goes back to the service as `invalid_request`. The journey then asks the citizen,
once signed in, to confirm the link (journeys/flows/legacy_link.py).
"""

from govsignin.oidc.errors import InvalidRequest, describe

CLAIM = "legacy_subject_id"


async def check_legacy_link(ctx):
    ctx.values["link_legacy_id"] = None
    if not ctx.from_request_object:
        if CLAIM in ctx.params:
            raise InvalidRequest(describe("legacy_link_query"))
        return
    claims = ctx.request_claims
    if CLAIM not in claims:
        return
    system = ctx.client.legacy_system
    if not system or claims.get("legacy_system", system) != system:
        raise InvalidRequest(describe("legacy_link_system"))
    value = claims[CLAIM]
    if not isinstance(value, str) or not 0 < len(value) <= 256 or not value.strip():
        raise InvalidRequest(describe("legacy_link_value"))
    ctx.values["link_legacy_id"] = value
