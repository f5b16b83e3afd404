"""OAuth 2.0 / OIDC errors, named as the specs name them (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6).

An `OAuthError` raised before the client and redirect_uri are proven renders the HTML error page
(`FatalRequest`); after that it is returned to the service with error, error_description and state.
"""

from __future__ import annotations

# Every error_description a service can observe, in One Login's exact words, with where One
# Login's simulator (github.com/govuk-one-login/simulator) says it. Entries whose source is
# "govsignin" are checks One Login does not make (docs/onelogin-compatibility.md).
SIM = "simulator:src/"
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    # /authorize, before the redirect is trusted (parse errors: a redirect without state)
    "parse_error": ("Invalid Request", SIM + "components/authorise/authorise-get-controller.ts"),
    # /authorize, redirected back with state
    "missing_state": ("Request is missing state parameter", SIM + "validators/validate-auth-request-query-params.ts"),
    "request_uri": ("Request URI parameter not supported", SIM + "validators/validate-auth-request-query-params.ts"),
    "response_type": ("Unsupported response type", SIM + "validators/validate-auth-request-query-params.ts"),
    "scope": ("Invalid, unknown or malformed scope", SIM + "validators/validate-auth-request-query-params.ts"),
    "claims": ("Request contains invalid claims", SIM + "validators/validate-auth-request-query-params.ts"),
    "missing_nonce": ("Request is missing nonce parameter", SIM + "validators/validate-auth-request-query-params.ts"),
    "vtr": ("Request vtr not valid", SIM + "validators/vtr-validator.ts"),
    "vtr_not_permitted": ("Request vtr is not permitted", "onelogin-contract.md §1.2 (orchestration VectorOfTrust)"),
    "max_age_query": ("Max age is negative in query params", SIM + "validators/validate-auth-request-query-params.ts"),
    "max_age_object": ("Max age is negative in request object", SIM + "validators/validate-auth-request-object.ts"),
    "max_age_nan": ("Max age could not be parsed to an integer", SIM + "validators/validate-auth-request-object.ts"),
    "code_challenge": ("Invalid value for code_challenge parameter.", SIM + "validators/code-challenge-validator.ts"),
    "code_challenge_method_missing": (
        "Request is missing code_challenge_method parameter. code_challenge_method is required when "
        "code_challenge is present.", SIM + "validators/code-challenge-validator.ts"),
    "code_challenge_method": ("Invalid value for code_challenge_method parameter.", SIM + "validators/code-challenge-validator.ts"),
    "pkce_enforced": ("Request is missing code_challenge parameter, but PKCE is enforced.", "onelogin-contract.md §1.2"),
    "channel": ("Invalid value for channel parameter.", SIM + "validators/validate-auth-request-query-params.ts"),
    "select_account": ("Unmet authentication requirements", SIM + "components/authorise/authorise-get-controller.ts"),
    "unauthorized_client": ("Unauthorized client", SIM + "validators/validate-auth-request-object.ts"),
    "request_in_object": ("Invalid request", SIM + "validators/validate-auth-request-object.ts"),
    "access_denied": ("Access denied by resource owner or authorization server", SIM + "validators/validate-auth-request-object.ts"),
    "login_hint": ("login_hint parameter is invalid", SIM + "validators/validate-auth-request-object.ts"),
    "client_deactivated": ("client deactivated", "onelogin-contract.md §1.2"),
    "jar_required": ("JAR required for client but request does not contain Request Object", "onelogin-contract.md §1.2"),
    "id_token_hint_authorize": ("Unable to validate id_token_hint", "govsignin"),
    "legacy_link_query": ("legacy_subject_id is accepted only in a signed request object", "govsignin (docs/migration.md)"),
    "legacy_link_system": ("Client is not registered with that legacy system", "govsignin (docs/migration.md)"),
    "legacy_link_value": ("legacy_subject_id is invalid", "govsignin (docs/migration.md)"),
    "prompt_none_combined": ("prompt none cannot be combined with other values", "govsignin (OIDC Core §3.1.2.1)"),
    "nonce_too_long": ("Request nonce parameter is too long", "govsignin"),
    "state_too_long": ("Request state parameter is too long", "govsignin"),
    "identity_unavailable": ("Identity proving is not available yet", "govsignin (identity proving is not built)"),
    "login_required": ("Login required", "onelogin-contract.md §1.7"),
    # /token
    "form_required": ("Request must be application/x-www-form-urlencoded", "govsignin (RFC 6749 §4.1.3)"),
    "too_large": ("Request is too large", "govsignin"),
    "missing_grant_type": ("Request is missing grant_type parameter", SIM + "parse/parse-token-request.ts"),
    "grant_type": ("Unsupported grant type", SIM + "parse/parse-token-request.ts"),
    "missing_redirect_uri": ("Request is missing redirect_uri parameter", SIM + "parse/parse-token-request.ts"),
    "missing_code": ("Request is missing code parameter", SIM + "parse/parse-token-request.ts"),
    "auth_method": ("Invalid token authentication method used", SIM + "parse/parse-token-request.ts"),
    "private_key_jwt": ("Invalid private_key_jwt", SIM + "components/token/token-controller.ts"),
    "client_auth_failed": ("Client authentication failed", SIM + "components/token/client-authentication/validate-private-key-jwt.ts"),
    "assertion_expired": ("private_key_jwt has expired", SIM + "components/token/client-authentication/validate-private-key-jwt.ts"),
    "bad_signature": ("Invalid signature in private_key_jwt", SIM + "components/token/client-authentication/validate-private-key-jwt.ts"),
    "not_private_key_jwt": ("Client is not registered to use private_key_jwt", "onelogin-contract.md §1.3"),
    "not_client_secret_post": ("Client is not registered to use client_secret_post", SIM + "components/token/client-authentication/validate-client-secret-post.ts"),
    "no_client_secret": ("No client secret registered", SIM + "components/token/client-authentication/validate-client-secret-post.ts"),
    "client_secret": ("Invalid client secret", SIM + "components/token/client-authentication/validate-client-secret-post.ts"),
    "invalid_grant": ("Invalid grant", SIM + "components/token/token-controller.ts"),
    "pkce": ("PKCE code verification failed", SIM + "components/token/helper/code-challenge-comparer.ts"),
    "assertion_lifetime": ("Invalid private_key_jwt: lifetime is longer than 60 minutes", "govsignin (contracts.md)"),
    "assertion_jti_missing": ("Invalid private_key_jwt: jti is required", "govsignin"),
    "assertion_jti_replay": ("Invalid private_key_jwt: jti has already been used", "govsignin"),
    "assertion_iat": ("Invalid private_key_jwt: iat is in the future", "govsignin"),
    "assertion_nbf": ("Invalid private_key_jwt: not valid yet", "govsignin"),
    "client_keys_unavailable": ("The service's keys could not be fetched", "govsignin (docs/onelogin-compatibility.md)"),
    # /userinfo (in WWW-Authenticate)
    "access_token": ("Invalid access token", SIM + "errors/user-info-request-error.ts"),
    # /logout (on the signed-out page's query)
    "logout_hint": ("unable to validate id_token_hint", SIM + "components/logout/logout-controller.ts"),
    "logout_client": ("client not found", SIM + "components/logout/logout-controller.ts"),
    "logout_uri": ("client registry does not contain post_logout_redirect_uri", SIM + "components/logout/logout-controller.ts"),
    "logout_request": ("Invalid logout request", "govsignin"),
}


def describe(name: str) -> str:
    """One Login's error_description for a named case (KeyError for a name not in the table)."""
    return DESCRIPTIONS[name][0]


class OAuthError(Exception):
    error = "server_error"
    status = 400

    def __init__(self, description: str | None = None):
        super().__init__(description or self.error)
        self.description = description


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """HTTP 400, as One Login answers most client-authentication failures (RFC 6749 §5.2 lets
    a server use 400 when no Authorization header was sent)."""

    error = "invalid_client"


class UnknownClient(InvalidClient):
    """An assertion naming no registered client: One Login answers 401."""

    status = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class AccessDenied(OAuthError):
    error = "access_denied"


class LoginRequired(OAuthError):
    error = "login_required"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"


class UnmetAuthenticationRequirements(OAuthError):
    error = "unmet_authentication_requirements"


class TemporarilyUnavailable(OAuthError):
    error = "temporarily_unavailable"
    status = 503


class ServerError(OAuthError):
    error = "server_error"
    status = 500


class InvalidToken(OAuthError):
    """RFC 6750 §3.1, used by /userinfo."""

    error = "invalid_token"
    status = 401


class ParseError(OAuthError):
    """The request cannot be parsed (One Login's ParseAuthRequestError): a redirect without state
    when client_id and the query's redirect_uri are both trusted, else the HTML page."""

    error = "invalid_request"

    def __init__(self, detail: str):
        super().__init__(describe("parse_error"))
        self.detail = detail  # for the error page's details, never sent to the service


class FatalRequest(Exception):
    """The request cannot be trusted to redirect: show the HTML error page (HTTP 400)."""

    def __init__(self, description: str, status: int = 400):
        super().__init__(description)
        self.description = description
        self.status = status
