"""The common-password list: passwords people pick most often, refused at account creation and
password reset (One Login's PW_TOO_COMMON).

The list is the "passwords" frequency list that ships with the PyPI `zxcvbn` package
(`zxcvbn.frequency_lists.FREQUENCY_LISTS["passwords"]`, 30,000 passwords ranked from breach
corpora), a maintained, offline source: no network call at run time. It is loaded once, on
first use, into a frozenset of lower-cased entries.
"""

from __future__ import annotations

import functools


@functools.cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """True if the password, ignoring case, is on the list."""
    return password.lower() in common_passwords()
