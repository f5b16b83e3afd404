"""Re-export of web/params.py for the journey pages that still import it from here."""

from govsignin.web.params import ParameterError, parse_params  # noqa: F401
