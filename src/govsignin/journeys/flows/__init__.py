"""Journey flows beyond sign-in. Each module calls machine.extend() when imported."""

from govsignin.journeys.flows import create_account, recovery  # noqa: F401
