"""Journey flows beyond sign-in. Each module calls machine.extend() when imported; then every
way into auth-code is routed past "link your old account" (flows/legacy_link.py)."""

from govsignin.journeys.flows import create_account, legacy_link, recovery  # noqa: F401

legacy_link.route_codes_through_link_page()
