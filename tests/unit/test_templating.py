"""The cached rendering gives citizens exactly the bytes the plain rendering gives.

`Templates` renders the parts of a page marked `{% call per_language(...) %}` once per language
and splices the HTML in afterwards. These tests render every page template (journeys, account
management, errors) in English and Welsh, with and without an error, at two different paths,
through a caching `Templates` and a non-caching one, and require identical HTML once the
per-response CSP nonce is normalised. They also check that a cached body reads nothing but
`_()`, `service_name`, macros and the names it is keyed by, so a later edit cannot make it
depend on a request.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from jinja2 import ChainableUndefined, nodes
from starlette.requests import Request
from starlette.routing import Route

from govsignin.config import Settings
from govsignin.web.templating import LANGUAGES, Templates

CSRF = "csrf-token-for-the-test"
NONCE = re.compile(r'nonce="[^"]*"')
# Names a per_language body may read besides the macros its template imports or defines.
CONSTANT_NAMES = {"_", "gettext", "ngettext", "service_name"}

AT = datetime(2026, 3, 9, 14, 5, tzinfo=timezone.utc)
# What every render gets: numbers for ngettext, and the objects some manage pages always need.
BASE = {
    "minutes": 2, "left": 3, "recovery_codes_left": 3, "wait_hours": 72,
    "passkey": SimpleNamespace(id="pk1", name="Laptop", created_at=AT),
    "event": SimpleNamespace(id="ev1", text="Signed in", when=AT),
}
CONTEXTS = [
    {},
    {"email": "someone@example.com", "phone": "07700 900123", "phone_end": "123", "client_name": "Example service",
     "description": "The request is missing a parameter", "minutes": 1, "heading": "A heading", "resent": True,
     "sent_again": True, "back_href": "/account", "codes": ["abcd-efgh", "ijkl-mnop"],
     "user": SimpleNamespace(email="someone@example.com", phone_number="+447700900123", created_at=AT),
     "methods": [SimpleNamespace(id="m1", kind="auth_app", priority="default", phone_hint=None),
                 SimpleNamespace(id="m2", kind="sms", priority="backup", phone_hint="123")],
     "passkeys": [SimpleNamespace(id="pk1", name=None, created_at=AT)],
     "events": [{"text": "Signed in", "when": AT}], "services_used": [{"name": "Example service", "last_used": AT}]},
    {"email": "not an email", "error": {"field": "code", "text": "Enter the security code"}},
    {"error": {"field": "email", "text": "Enter an email address in the correct format, like name@example.com"},
     "email": "<script>"},
    {"error": {"field": "password", "text": "Enter your password"}},
]


def page_templates(templates: Templates) -> list[str]:
    return [
        name for name in templates.env.list_templates()
        if name.endswith(".html") and not name.startswith(("govuk_frontend_jinja/", "macros/"))
        and name not in ("manage/macros.html",)
    ]


async def _page(request):
    return None


def make_templates(cache: bool) -> Templates:
    templates = Templates(Settings(), cache=cache)
    # Pages read context the tests do not build (user, methods, passkeys...): render them empty.
    templates.env.undefined = ChainableUndefined
    return templates


def request(path: str, lang: str, query: str = "") -> Request:
    # The route that answered: the language toggle links to its path (web/templating._route_path).
    return Request({
        "type": "http", "method": "GET", "path": path, "query_string": query.encode(), "route": Route(path, _page),
        "headers": [(b"host", b"127.0.0.1"), (b"cookie", f"lng={lang}".encode())],
    })


def render(templates: Templates, template: str, lang: str, path: str, context: dict) -> str:
    response = templates.render(request(path, lang), template, csrf_token=CSRF, **{**BASE, **context})
    return NONCE.sub('nonce="-"', response.body.decode())


@pytest.fixture(scope="module")
def plain():
    return make_templates(cache=False)


@pytest.fixture(scope="module")
def cached():
    return make_templates(cache=True)


def test_every_page_is_byte_for_byte_the_uncached_rendering(plain, cached):
    names = page_templates(plain)
    assert len(names) > 60 and "journeys/enter-email.html" in names and "manage/home.html" in names
    compared = 0
    # Welsh first then English and back, two paths, so a fragment cached for one language or one
    # request would show up in the next.
    for lang in ("cy", "en", "cy"):
        for name in names:
            for i, context in enumerate(CONTEXTS):
                path = f"/page-{i % 2}"
                expected = render(plain, name, lang, path, context)
                assert render(cached, name, lang, path, context) == expected, (name, lang, context)
                compared += 1
    assert compared == 3 * len(names) * len(CONTEXTS)
    assert {key[1] for key in cached._fragments} == set(LANGUAGES)


def test_cached_layout_is_in_the_page_language(cached):
    english = render(cached, "journeys/enter-email.html", "en", "/enter-email", {})
    welsh = render(cached, "journeys/enter-email.html", "cy", "/enter-email", {})
    assert "Skip to main content" in english and "Skip to main content" not in welsh
    assert 'href="/enter-email?lng=cy"' in english and 'href="/enter-email?lng=en"' in welsh
    assert english.count("govuk-footer") > 0 and welsh.count("govuk-footer") > 0


def _per_language_blocks(templates: Templates, name: str):
    source = templates.env.loader.get_source(templates.env, name)[0]
    tree = templates.env.parse(source)
    macros = {node.name for node in tree.find_all(nodes.Macro)}
    imported = set()
    for node in tree.find_all(nodes.FromImport):
        imported |= {alias if isinstance(alias, str) else alias[1] for alias in node.names}
    for block in tree.find_all(nodes.CallBlock):
        call = block.call
        if isinstance(call.node, nodes.Name) and call.node.name == "per_language":
            yield call, block, macros | imported


def test_per_language_bodies_read_no_request_variables():
    """A cached body reads constants and macros, plus only the names its call passes as key parts
    (`per_language("key", name, label)`) or in `unless=`; its key is a literal used once."""
    templates = make_templates(cache=True)
    keys: dict[str, str] = {}
    for name in templates.env.list_templates():
        if name.startswith("govuk_frontend_jinja/"):
            continue
        for call, block, defined in _per_language_blocks(templates, name):
            assert call.args and isinstance(call.args[0], nodes.Const), name
            key = call.args[0].value
            assert key not in keys, f"per_language key {key!r} used in {keys[key]} and {name}"
            keys[key] = name
            assert all(isinstance(part, nodes.Name) for part in call.args[1:]), (name, key)
            assert {kw.key for kw in call.kwargs} <= {"unless"}, (name, key)
            passed = {part.name for part in call.args[1:]}
            passed |= {n.name for kw in call.kwargs for n in kw.find_all(nodes.Name)}
            read = {n.name for part in block.body for n in part.find_all(nodes.Name) if n.ctx == "load"}
            allowed = CONSTANT_NAMES | defined | passed
            assert read <= allowed, (name, key, read - allowed)
            assert not block.args, (name, key)  # caller(...) arguments would be per call
    assert {"skip-link", "header", "footer", "continue-button", "password-input"} <= set(keys)


def test_per_language_renders_every_time_while_unless_holds(cached):
    with_error = {"error": {"field": "code", "text": "Enter the security code"}}
    first = render(cached, "journeys/enter-authenticator-app-code.html", "en", "/x", with_error)
    other = {"error": {"field": "code", "text": "The security code you entered is not correct"}}
    second = render(cached, "journeys/enter-authenticator-app-code.html", "en", "/x", other)
    assert "Enter the security code" in first and "not correct" in second and "Enter the security" not in second
    typed = render(cached, "journeys/enter-email.html", "en", "/x", {"email": "typed@example.com"})
    assert 'value="typed@example.com"' in typed
    assert not any("typed@example.com" in html for html in cached._fragments.values())
