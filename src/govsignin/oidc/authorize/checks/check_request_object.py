"""A request object's own claims, checked in One Login's order once its redirect_uri is trusted
(simulator: src/validators/validate-auth-request-object.ts); each failure goes back to the
service with the object's state:

- the query's response_type is `code`, else `unsupported_response_type`;
- the query's scopes are known and registered, else `invalid_scope`;
- the object's `client_id` is the query's, else `unauthorized_client`;
- no `request` or `request_uri` inside, else `invalid_request` "Invalid request";
- `aud` is the /authorize URL (or, as a tolerance, the issuer), else `access_denied`;
- `iss` is the client_id, else `unauthorized_client`.

The object's response_type, scope and the rest are then the request's, checked as a query's.
"""

from govsignin.oidc.authorize.checks.check_scope import scopes_allowed
from govsignin.oidc.errors import AccessDenied, InvalidRequest, InvalidScope, UnauthorizedClient, UnsupportedResponseType, describe


async def check_request_object(ctx):
    if not ctx.from_request_object:
        return
    claims, query, client_id = ctx.request_claims, ctx.query, ctx.client.client_id
    if query.get("response_type") != "code":
        raise UnsupportedResponseType(describe("response_type"))
    if not scopes_allowed(ctx.client, query.get("scope", "").split()):
        raise InvalidScope(describe("scope"))
    if claims.get("client_id") != client_id:
        raise UnauthorizedClient(describe("unauthorized_client"))
    if "request" in claims or "request_uri" in claims:
        raise InvalidRequest(describe("request_in_object"))
    settings = ctx.app.settings
    aud = claims.get("aud")
    auds = {a for a in (aud if isinstance(aud, list) else [aud]) if isinstance(a, str)}
    if not auds & {settings.endpoint("/authorize"), settings.issuer_url()}:
        raise AccessDenied(describe("access_denied"))
    if claims.get("iss") != client_id:
        raise UnauthorizedClient(describe("unauthorized_client"))
