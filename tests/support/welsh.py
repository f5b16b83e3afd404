"""Finding English left on a Welsh page.

`english_on_page(html)` returns the English fragments in a page rendered in Welsh: any msgid of the
catalogue (with a Welsh translation that differs) found verbatim in the page's text, and common
English words that Welsh copy never contains. Text inside an element marked `lang="en"` (the
language toggle) is English on purpose and is left out, as are the service's name and values the
test supplied (emails, service names: pass them as `allowed`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "src" / "govsignin" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"

# Words frequent in English copy that do not occur in Welsh copy.
ENGLISH_WORDS = re.compile(
    r"\b(the|your|you|and|with|this|that|have|has|will|from|not|enter|continue|back|change|sign|"
    r"create|email|security|code|account|error|show|hide|skip|crown|licence|"
    r"january|february|march|april|june|july|august|september|october|november|december)\b",
    re.IGNORECASE,
)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Text(HTMLParser):
    """The page's text as a reader or screen reader gets it: text nodes (visually hidden ones too),
    the title, aria-labels, alt texts and button values; not scripts, styles or lang="en" parts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = tag in ("script", "style", "svg") or attrs.get("lang", "").startswith("en")
        if not skipped and not self._skipping():
            for name in ("aria-label", "alt", "title", "placeholder"):
                if attrs.get(name):
                    self.parts.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
            for name, value in attrs.items():  # GOV.UK Frontend's i18n data attributes (JS-set texts)
                if name.startswith("data-i18n.") and value:
                    self.parts.append(value)
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


@lru_cache(maxsize=1)
def _english_msgids() -> tuple[str, ...]:
    """Literal runs (placeholders removed) of 3+ words from msgids whose Welsh differs."""
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    runs = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings:
                continue
            for run in re.split(r"%\(\w+\)[sd]|<[^>]+>", msgid):
                run = run.strip(" .,:;?")
                if len(run.split()) >= 3:
                    runs.add(run)
    return tuple(sorted(runs, key=len, reverse=True))


def english_on_page(html: str, allowed: tuple[str, ...] = ()) -> list[str]:
    text = page_text(html)
    for value in allowed:
        if value:
            text = text.replace(value, " ")
    found = [run for run in _english_msgids() if run in text]
    found += sorted({m.group(0) for m in ENGLISH_WORDS.finditer(text)})
    return found
