"""Hints, honoured only inside a signed request object (One Login strips them from queries):

- login_hint: at most 256 characters;
- id_token_hint (with prompt=login) names the citizen to reauthenticate: it must be an ID token
  we signed for exactly this service; an expired hint is fine (it only identifies).
"""

from govsignin.oidc.errors import InvalidRequest, describe
from govsignin.oidc.id_token_hint import InvalidHint, is_for, read_id_token_hint


async def check_hints(ctx):
    ctx.values["login_hint"] = None
    ctx.values["id_token_hint_sub"] = None
    if not ctx.from_request_object:
        return
    hint = ctx.params.get("login_hint")
    if hint is not None:
        if len(hint) > 256:
            raise InvalidRequest(describe("login_hint"))
        ctx.values["login_hint"] = hint
    raw = ctx.params.get("id_token_hint")
    if raw is not None:
        try:
            claims = await read_id_token_hint(ctx.app, raw)
        except InvalidHint:
            raise InvalidRequest(describe("id_token_hint_authorize"))
        if not is_for(claims, ctx.client.client_id):
            raise InvalidRequest(describe("id_token_hint_authorize"))
        ctx.values["id_token_hint_sub"] = claims.get("sub")
