"""Parsing, as One Login parses an authorization request before it validates one
(simulator: src/parse/parse-auth-request.ts). A request that cannot be parsed is answered
`invalid_request` "Invalid Request" *without* state, redirected only when client_id and the
query's redirect_uri are both registered (`ParseError`), else the HTML page:

- a redirect_uri that is not an absolute URL, or is one One Login could never register
  (onboarding/registration.py), → the page "Request is missing parameters";
- response_type naming anything but `code`, `token`, `id_token`;
- `request` together with `request_uri`; a request object that cannot be decoded, or whose
  `sub` is the client_id (RFC 7523 §3: a request object is not a client assertion);
- neither response_type nor a request object;
- a prompt value outside OIDC's (`none login consent select_account create`);
- without a request object: no redirect_uri (the page) or no scope;
- a scope without `openid`; claims that are not JSON;
- max_age that is not an integer → the page.
"""

import re

from joserfc import jws
from joserfc.errors import JoseError

from govsignin.oidc import jsonsafe
from govsignin.oidc.errors import FatalRequest, ParseError
from govsignin.onboarding.registration import RegistrationError, check_redirect_uri_form

RESPONSE_TYPES = {"code", "token", "id_token"}
PROMPTS = {"none", "login", "consent", "select_account", "create"}
INTEGER = re.compile(r"^-?[0-9]{1,10}$")  # ASCII only: int() accepts any script's digits
MISSING = "Request is missing parameters"


async def parse_request(ctx):
    params = ctx.params
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is not None and not _uri_form_ok(redirect_uri):
        raise FatalRequest(MISSING)
    response_type = params.get("response_type")
    if response_type is not None and not set(response_type.split(" ")) <= RESPONSE_TYPES:
        raise ParseError("Invalid response_type parameter")
    request_uri = params.get("request_uri")
    if request_uri is not None and not _uri_form_ok(request_uri):
        raise ParseError("Invalid request_uri parameter")
    request = params.get("request")
    if request is not None:
        if request_uri is not None:
            raise ParseError("request and request_uri are mutually exclusive")
        if _unverified_claims(request).get("sub") == ctx.client.client_id:
            raise ParseError("The request object's sub must not equal the client_id")
    elif response_type is None and request_uri is None:
        raise ParseError("Missing response_type parameter")
    if any(p not in PROMPTS for p in params.get("prompt", "").split()):
        raise ParseError("Invalid prompt parameter")
    if request is None:
        if redirect_uri is None:
            raise FatalRequest(MISSING)
        if "scope" not in params:
            raise ParseError("Missing scope parameter")
    if "scope" in params and "openid" not in params["scope"].split(" "):
        raise ParseError("The scope must include an openid value")
    max_age = params.get("max_age")
    if max_age is not None and not INTEGER.match(max_age):
        raise FatalRequest("Invalid max_age parameter")
    if "claims" in params:
        try:
            jsonsafe.loads(params["claims"])
        except ValueError:
            raise ParseError("Invalid JSON in claims")


def _uri_form_ok(uri: str) -> bool:
    try:
        check_redirect_uri_form(uri)
    except RegistrationError:
        return False
    return True


def _unverified_claims(raw: str) -> dict:
    """The request object's claims before its signature is checked (load_request_object checks
    it): only to answer a malformed object as One Login does."""
    try:
        claims = jsonsafe.loads(jws.extract_compact(raw.encode()).payload)
    except (JoseError, ValueError, TypeError, UnicodeDecodeError):
        raise ParseError("Invalid request parameter")
    if not isinstance(claims, dict):
        raise ParseError("Invalid request parameter")
    return claims
