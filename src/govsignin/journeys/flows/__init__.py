"""Journey flows beyond sign-in. Each module calls machine.extend() when imported."""

from govsignin.journeys.flows import recovery  # noqa: F401,E402
from govsignin.journeys.flows import create_account  # noqa: F401,E402  (after recovery: see its /enter-code note)
