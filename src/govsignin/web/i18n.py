"""Marking strings for translation outside templates.

`N_("Enter your email address")` returns the string unchanged; `make translations` extracts it
(keyword N_), and templates translate it when they render (`_(error.text)`).
"""


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op name
    return message
