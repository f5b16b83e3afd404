"""govsignin: one account and one sign-in for every public service."""

__version__ = "0.1.0"
