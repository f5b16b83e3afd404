"""The common-password list: passwords people pick most often, refused at account creation and
password reset (One Login's PW_TOO_COMMON).

The list is the "passwords" frequency list that ships with the PyPI `zxcvbn` package
(`zxcvbn.frequency_lists.FREQUENCY_LISTS["passwords"]`, 30,000 passwords ranked from breach
corpora), a maintained, offline source: no network call at run time.

It is loaded once, on first use, into one string, the lower-cased entries sorted and each
followed by a newline (~230 KB), and an array of where each starts (~120 KB). Importing `zxcvbn.frequency_lists` instead builds all six of its lists as
Python strings (~12 MiB, kept for the life of the process) and a frozenset of the 30,000 would
add ~2.5 MiB more, in every worker that ever checks a password. So the "passwords" literal is
read from that module's source text, and the module is imported only if its layout ever changes.
A lookup is a binary search over the array (a few microseconds).
"""

from __future__ import annotations

import functools
from array import array
from bisect import bisect_left

_START = '"passwords": "'
_END = '".split(",")'


def _entries_from_source() -> list[str] | None:
    """The "passwords" entries, read from zxcvbn/frequency_lists.py without executing it."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("zxcvbn")  # finds the package without importing it (its
    if spec is None or not spec.origin:        # __init__ would import the lists)
        return None
    path = os.path.join(os.path.dirname(spec.origin), "frequency_lists.py")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        source = f.read()
    start = source.find(_START)
    end = source.find(_END, start)
    if start < 0 or end < 0:
        return None
    import ast

    try:  # one string literal (with escapes such as \' in it): evaluated, never executed
        text = ast.literal_eval('"' + source[start + len(_START):end] + '"')
    except (ValueError, SyntaxError):
        return None
    return text.split(",") if isinstance(text, str) else None


class _SortedList:
    """Sorted strings without newlines, kept as one string plus start offsets."""

    def __init__(self, entries: set[str]):
        ordered = sorted(entries)
        self.text = "".join(e + "\n" for e in ordered)
        self.starts = array("I", [0])
        for e in ordered:
            self.starts.append(self.starts[-1] + len(e) + 1)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i: int) -> str:
        return self.text[self.starts[i]:self.starts[i + 1] - 1]

    def __contains__(self, value: str) -> bool:
        i = bisect_left(self, value)
        return i < len(self) and self[i] == value


@functools.cache
def _listed() -> _SortedList:
    entries = _entries_from_source()
    if entries is None:  # the module's layout changed: import it (correct, only heavier)
        from zxcvbn.frequency_lists import FREQUENCY_LISTS

        entries = list(FREQUENCY_LISTS["passwords"])
    return _SortedList({e.lower() for e in entries if "\n" not in e})


def common_passwords() -> frozenset[str]:
    """The whole list as a set (for tests and tools; the check itself does not build it)."""
    listed = _listed()
    return frozenset(listed[i] for i in range(len(listed)))


def is_common(password: str) -> bool:
    """True if the password, ignoring case, is on the list."""
    return password.lower() in _listed()
