"""Every page and every message exists in Welsh.

- the Welsh catalogue has a translation for every string the code marks (`_()` in templates, `_`/`N_`
  in Python), extracted afresh from the sources, so a string added without `make translations`
  fails here too; placeholders and plural forms match;
- every email and text message template has a Welsh text with the same placeholders;
- every page template (journeys/, manage/, errors/ and the others) rendered in Welsh, with and
  without a validation error, has no English left in it (tests/support/welsh.py), and GOV.UK
  Frontend's built-in texts (password show/hide, the hidden "Error:" prefix) are given in Welsh.

Pages reached through the app in Welsh are checked the same way by the accessibility walks
(tests/browser/test_accessibility_journeys.py). No browser or database needed here.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from types import SimpleNamespace

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import ChainableUndefined
from markupsafe import Markup

from tests.support.welsh import PO, ROOT, english_on_page, page_text

SRC = ROOT / "src" / "govsignin"
TEMPLATES = SRC / "templates"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def _catalog():
    with PO.open("rb") as fh:
        return read_po(fh)


def _extracted() -> dict:
    """msgid → first location, extracted the way `make translations` does (babel.cfg, -k _ -k N_)."""
    keywords = dict(DEFAULT_KEYWORDS, N_=None)
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options_map = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(SRC), method_map, options_map, keywords=keywords
    ):
        key = message if isinstance(message, str) else message[0]
        if key:
            found.setdefault(key, f"{filename}:{lineno}")
    return found


def test_every_marked_string_has_a_welsh_translation():
    catalog = _catalog()
    missing = []
    for msgid, where in sorted(_extracted().items()):
        message = catalog.get(msgid)
        strings = () if message is None else (message.string if isinstance(message.string, tuple) else (message.string,))
        if message is None or message.fuzzy or not strings or not all(s.strip() for s in strings):
            missing.append(f"{where}: {msgid!r}" + (" (fuzzy)" if message is not None and message.fuzzy else ""))
    assert not missing, (
        f"{len(missing)} string(s) without a checked Welsh translation; run `make translations` and translate "
        "them in src/govsignin/translations/cy/LC_MESSAGES/messages.po:\n" + "\n".join(missing)
    )


def test_every_catalogue_entry_is_translated_with_the_same_placeholders():
    catalog = _catalog()
    assert catalog.locale and str(catalog.locale) == "cy"
    assert catalog.num_plurals == 5, "Welsh has 5 plural forms in Babel's rules"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        if isinstance(message.id, tuple) and len(strings) != catalog.num_plurals:
            problems.append(f"{len(strings)} plural forms: {ids[0]!r}")
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            if not text.strip():
                problems.append(f"empty: {ids[0]!r}")
            elif set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"placeholders differ: {ids[0]!r} -> {text!r}")
            elif "%" in PLACEHOLDER.sub("", text).replace("%%", ""):
                problems.append(f"a lone % (breaks formatting): {text!r}")
    assert not problems, "\n".join(problems)


def test_every_message_template_has_welsh_text():
    from govsignin.messaging.templates import TEMPLATES as MESSAGES

    placeholder = re.compile(r"\(\((\w+)\)\)")
    problems = []
    for name, texts in MESSAGES.items():
        en, cy = texts.get("en", ""), texts.get("cy", "")
        if not cy.strip():
            problems.append(f"{name}: no Welsh text")
        elif cy.strip() == en.strip():
            problems.append(f"{name}: the Welsh text is the English text")
        elif set(placeholder.findall(en)) != set(placeholder.findall(cy)):
            problems.append(f"{name}: placeholders differ: {sorted(set(placeholder.findall(en)))} vs {sorted(set(placeholder.findall(cy)))}")
        elif english_on_page(f"<p>{placeholder.sub(' ', cy)}</p>", allowed=("GOV.UK",)):
            problems.append(f"{name}: English in the Welsh text: {english_on_page('<p>' + placeholder.sub(' ', cy) + '</p>')}")
    assert not problems, "\n".join(problems)


# --- every page template, rendered in Welsh -------------------------------------------------------

class Lenient(ChainableUndefined):
    """A value the test did not supply: renders as nothing, iterates as empty, calls and indexes as
    itself, so a template renders all its static copy whatever its context."""

    def __call__(self, *args, **kwargs):
        return self

    def __getitem__(self, key):
        return self

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0


WHEN = datetime(2026, 3, 5, 14, 30)
EMAIL = "enw@example.com"
CLIENT = "Gwasanaeth Prawf"
COMMON = dict(
    csrf_token="token", email=EMAIL, client_name=CLIENT, phone="07700 900982", phone_end="982",
    phone_hint="982", resent=True, sent_again=True, resend=True, qr_svg=Markup("<svg></svg>"),
    qr=Markup("<svg></svg>"), secret="ABCDEFGH", secret_grouped="ABCD EFGH", options_json="{}", options="{}",
    token="token", until="14:30 on 05 March 2026 (UTC)", when="14:30 on 05 March 2026 (UTC)", wait_hours=72,
    has_codes=True, recovery_codes=True, reset=True, sign_in=True, action="/here", codes=["abcde-fghij"] * 10,
    left=10, recovery_codes_left=10, minutes=5, description="invalid_request", report_number="GS-123456",
    next="/account/security", back_href="/account", blocked_until=WHEN, updated=None, choice="sms",
    user=SimpleNamespace(email=EMAIL, phone_number="07700 900982"),
    services_used=[SimpleNamespace(name=CLIENT, last_used=WHEN)],
    passkeys=[SimpleNamespace(id="p1", name=None, created_at=WHEN)],
    passkey=SimpleNamespace(id="p1", name=None, created_at=WHEN),
    method=SimpleNamespace(id="m1", kind="sms", priority="backup", phone_hint="982"),
    event=SimpleNamespace(id="e1", text="You signed in", service=CLIENT, when=WHEN),
    events=[SimpleNamespace(id="e1", text="You signed in", service=CLIENT, when=WHEN),
            SimpleNamespace(id="e2", text="You changed your password", service=None, when=WHEN)],
)
# Templates whose variables mean something else than in COMMON.
PER_TEMPLATE = {
    "manage/security.html": dict(
        methods=[SimpleNamespace(id="m1", kind="auth_app", priority="default", phone_hint=None),
                 SimpleNamespace(id="m2", kind="sms", priority="backup", phone_hint="982")],
        updated="You have changed your password"),
    "manage/cannot-change-security-codes.html": dict(until=WHEN),
    "manage/home.html": dict(methods=[SimpleNamespace(id="m1", kind="auth_app", priority="default", phone_hint=None)]),
    "journeys/recovery/choose-method.html": dict(
        methods=["auth_app", "sms", "recovery_code"],
        labels={"auth_app": "Authenticator app", "sms": "Text message", "recovery_code": "A recovery code"}),
    "journeys/recovery/message.html": dict(
        heading="You asked to resend the security code too many times", paragraphs=["You can try again in 2 hours."]),
}


def errors_for(name: str) -> list[dict]:
    """One validation error per field the template shows errors on (`error.field == "..."`)."""
    source = (TEMPLATES / name).read_text()
    fields = sorted(set(re.findall(r'error\.field\s*==\s*"([\w-]+)"', source))) or ["code"]
    return [{"field": field, "text": "Enter the security code"} for field in fields]


def page_templates() -> list[str]:
    names = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        # Layouts, macros and partials (a leading "_", included by pages) are not pages themselves.
        if (name in ("base.html",) or name.startswith("macros/") or name.endswith(("/macros.html", "/layout.html"))
                or path.name.startswith("_")):
            continue
        names.append(name)
    return names


@pytest.fixture(scope="module")
def welsh_env():
    from govsignin.config import Settings
    from govsignin.web.templating import Templates, _lang

    templates = Templates(Settings(env="test"))
    # The catalogue as it is in messages.po now (the .mo that `make install` builds may be older).
    buffer = io.BytesIO()
    write_mo(buffer, _catalog())
    buffer.seek(0)
    templates.translations["cy"] = Translations(fp=buffer, domain="messages")
    env = templates.env.overlay(undefined=Lenient)
    token = _lang.set("cy")
    yield templates, env
    _lang.reset(token)


def render_welsh(welsh_env, name: str, error: dict | None) -> str:
    templates, env = welsh_env
    request = SimpleNamespace(scope={"path": "/" + name}, query_params={}, cookies={"lng": "cy"}, url=SimpleNamespace(path="/"))
    context = dict(COMMON, **PER_TEMPLATE.get(name, {}))
    return env.get_template(name).render(
        request=request, htmlLang="cy", lang="cy", cspNonce="n", toggle_lang="en", toggle_url="/?lng=en",
        error=error, **context,
    )


@pytest.mark.parametrize("name", page_templates())
def test_every_page_template_renders_in_welsh(welsh_env, name):
    from govsignin.config import Settings

    allowed = (Settings(env="test").service_name, EMAIL, CLIENT, "GOV.UK", "ABCD EFGH", "ABCDEFGH", "abcde-fghij",
               "GS-123456", "invalid_request")
    for error in [None, *errors_for(name)]:
        html = render_welsh(welsh_env, name, error)
        assert '<html lang="cy"' in html
        english = english_on_page(html, allowed=allowed)
        assert not english, f"{name}{' with an error on ' + error['field'] if error else ''}: English left in Welsh: {english}\n{page_text(html)[:3000]}"
        for block in re.findall(r'<div[^>]*data-module="govuk-password-input"[^>]*>', html):
            for key in ("show-password", "hide-password", "show-password-aria-label", "hide-password-aria-label",
                        "password-shown-announcement", "password-hidden-announcement"):
                assert f"data-i18n.{key}=" in block, f"{name}: govukPasswordInput without a Welsh {key} text"
