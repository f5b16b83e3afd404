"""Serving the development issuers inside the provider, in development only, registered with
the provider as any configured issuer would be."""

from __future__ import annotations

from starlette.routing import Mount

from govsignin.devissuers.app import PREFIX, DevIssuers
from govsignin.devissuers.contract import CoreRegistration

CLIENT_ID = "govsignin"


class DevIssuersRefused(RuntimeError):
    pass


def enabled(settings) -> bool:
    return settings.env == "development" and settings.dev_issuers


def build(settings, services) -> DevIssuers:
    if not enabled(settings):
        raise DevIssuersRefused(
            "The development credential issuers run only with GOVSIGNIN_ENV=development "
            "(and GOVSIGNIN_DEV_ISSUERS not off)."
        )
    core = CoreRegistration(
        client_id=CLIENT_ID, component_id=settings.issuer_url(),
        redirect_uri=lambda name: settings.endpoint(f"/identity/callback/{name}"),
        public_keys=services.identity.core.public_jwks,
    )
    return DevIssuers(settings, services.store, services.templates, core, services.identity.async_credentials.deliver)


def dev_issuer_routes(settings, services) -> list:
    if not enabled(settings):
        return []
    issuers = build(settings, services)
    services.identity.register(issuers.cri_configs())
    return [Mount(PREFIX, app=issuers.app())]
