"""The validated authorization request, and the context the checks fill in."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from govsignin.onboarding.models import RelyingParty


@dataclass
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    state: str
    scope: list[str]
    nonce: str | None = None
    response_mode: str = "query"
    credential_level: str = "Cl.Cm"  # the lowest credential level the vtr asks for
    identity_levels: list[str] = field(default_factory=list)  # e.g. ["P2"]; empty = none
    claims: list[str] = field(default_factory=list)  # userinfo claims requested
    id_token_claims: list[str] = field(default_factory=list)  # ID token claims requested (claims.id_token)
    ui_locale: str | None = None
    prompt: list[str] = field(default_factory=list)
    max_age: int | None = None
    code_challenge: str | None = None
    login_hint: str | None = None
    id_token_hint_sub: str | None = None  # reauthentication (JAR only)
    link_legacy_id: str | None = None  # "link your old account": the service's own legacy id (JAR only)
    channel: str = "web"

    def to_dict(self) -> dict[str, Any]:
        """A plain copy for the journey record: the lists copied, nothing deeper to copy (and
        not dataclasses.asdict, which recurses through every value)."""
        return {name: (list(value) if type(value) is list else value)
                for name, value in ((name, getattr(self, name)) for name in _FIELD_NAMES) if value is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuthorizationRequest:
        return cls(**data)


_FIELD_NAMES = tuple(f.name for f in fields(AuthorizationRequest))


@dataclass
class AuthorizeContext:
    params: dict[str, str]
    app: Any  # the Services bundle (settings, registry, keys, store)
    query: dict[str, str] = field(default_factory=dict)  # the request as sent, before a request object
    client: RelyingParty | None = None
    redirect_uri: str | None = None
    response_mode: str = "query"
    state: str | None = None
    from_request_object: bool = False
    request_claims: dict[str, Any] = field(default_factory=dict)  # the verified request object's
    values: dict[str, Any] = field(default_factory=dict)

    def build(self) -> AuthorizationRequest:
        return AuthorizationRequest(
            client_id=self.client.client_id,
            redirect_uri=self.redirect_uri,
            state=self.state,
            response_mode=self.response_mode,
            **self.values,
        )
