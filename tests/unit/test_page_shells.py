"""Page shells (web/templating.py): a page rendered once with markers in its holes, then filled.

Every page template is rendered through a shell-caching `Templates` and a plain one, with
contexts made only of holes (CSRF token, service name, email) and scalars, in English and Welsh,
twice with different values so that the second render comes from the shell: the HTML must be
byte-for-byte the plain rendering, with the response's CSP nonce in the page. Templates that
transform a hole's value get no shell, and fall back to rendering.
"""

from __future__ import annotations

import re

import pytest
from jinja2 import DictLoader, nodes
from starlette.requests import Request

from govsignin.config import Settings
from govsignin.web.templating import HOLES, Templates, _Shell

NONCE = re.compile(r'nonce="([^"]*)"')

# Values chosen to differ in length and to need escaping, so a shell that froze, cut or failed
# to escape a value would show.
VALUES = [
    {"csrf_token": "first-token", "client_name": "Apply for a fishing licence", "email": "a@example.com"},
    {"csrf_token": "a-much-longer-second-token-0123456789", "client_name": 'Tom & Jerry\'s "<service>"',
     "email": "o'brien+<x>@example.gov.uk"},
]
SHAPES = [
    {},
    {"email": ""},
    {"client_name": None},
    {"resent": True, "minutes": 1, "left": 3},
]


def page_templates(templates: Templates) -> list[str]:
    return [
        name for name in templates.env.list_templates()
        if name.endswith(".html") and not name.startswith(("govuk_frontend_jinja/", "macros/"))
        and name != "manage/macros.html"
    ]


def request(path: str, lang: str) -> Request:
    return Request({
        "type": "http", "method": "GET", "path": path, "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"cookie", f"lng={lang}".encode())],
    })


def rendered(templates: Templates, template: str, lang: str, context: dict) -> tuple[str, str]:
    response = templates.render(request("/a-page", lang), template, **context)
    html = response.body.decode()
    nonces = set(NONCE.findall(html))
    header = response.headers["content-security-policy"]
    assert all(f"'nonce-{n}'" in header for n in nonces), template  # the page's nonce is the header's
    return NONCE.sub('nonce="-"', html), header


@pytest.fixture(scope="module")
def plain():
    return Templates(Settings(), cache=False)


@pytest.fixture(scope="module")
def shelled():
    return Templates(Settings(), cache=True)


def test_every_page_from_its_shell_is_the_plain_rendering(plain, shelled):
    names = page_templates(plain)
    assert len(names) > 60
    for lang in ("en", "cy"):
        for name in names:
            for shape in SHAPES:
                for values in VALUES:  # the first builds the shell, the second is filled from it
                    context = {**values, **shape}
                    try:
                        expected, _ = rendered(plain, name, lang, context)
                    except Exception:  # a page that needs objects this test does not build
                        continue
                    assert rendered(shelled, name, lang, context)[0] == expected, (name, lang, context)
    built = [key for key, shell in shelled._shells.items() if shell is not None]
    hot = {"journeys/sign-in-or-create.html", "journeys/enter-email.html", "journeys/enter-password.html",
           "journeys/enter-authenticator-app-code.html"}
    assert hot <= {key[0] for key in built}  # the sign-in pages really come from shells
    for shell in (shelled._shells[key] for key in built):
        assert not any(value in piece for piece in shell.pieces for v in VALUES for value in v.values())


def test_a_page_with_an_error_or_objects_renders_every_time(shelled):
    error = {"field": "email", "text": "Enter your email address"}
    html, _ = rendered(shelled, "journeys/enter-email.html", "en", {"csrf_token": "t", "error": error})
    assert "There is a problem" in html
    assert not any(key[0] == "journeys/enter-email.html" and any(n == "error" for n, _ in key[3])
                   for key in shelled._shells)


def test_each_response_gets_its_own_nonce_and_token(shelled):
    first, header_1 = rendered(shelled, "journeys/enter-password.html", "en", {"csrf_token": "one", "email": "x@example.com"})
    second, header_2 = rendered(shelled, "journeys/enter-password.html", "en", {"csrf_token": "two", "email": "y@example.com"})
    assert header_1 != header_2
    assert 'value="one"' in first and 'value="two"' in second and "x@example.com" not in second


@pytest.mark.parametrize("body", [
    "<p>{{ email | upper }}</p>",
    "<p>{{ email | length }}</p>",
    "<p>{{ email | truncate(5, true, '') }}</p>",
    "<p>{{ email | safe }}</p>",
    "<p>{{ email[:3] }}</p>",
    "<p>{{ email | urlencode }}</p>",
])
def test_a_template_that_transforms_a_hole_gets_no_shell(body):
    assert _Shell.build(lambda markers: _environment(body).render(**markers), ["email"]) is None


def test_a_template_that_only_prints_a_hole_gets_a_shell():
    body = '<p title="{{ email }}">{{ email }}</p><p>{{ email or "" }}</p>'
    shell = _Shell.build(lambda markers: _environment(body).render(**markers), ["email"])
    assert shell is not None and shell.holes == ["email", "email", "email"]
    assert shell.fill({"email": "<a&b>"}) == _environment(body).render(email="<a&b>")


def _environment(body: str):
    from jinja2 import Environment

    return Environment(loader=DictLoader({"t.html": body}), autoescape=True).get_template("t.html")


def _operand_names(expr, transparent) -> list[str]:
    """The names an expression is, seen through filters that leave a value's text alone."""
    if isinstance(expr, nodes.Name):
        return [expr.name]
    if isinstance(expr, nodes.Filter) and expr.name in transparent:
        return _operand_names(expr.node, transparent)
    return []


def test_holes_are_never_compared_in_our_templates(plain):
    """What markers cannot catch: `{% if email == "x" %}` renders the same for two markers. So in
    our templates a hole is never compared, tested (other than for truthiness) or indexed; filters
    that change it are caught by the markers (and the page then renders every time)."""
    transparent = {"e", "escape", "default", "d", "string"}
    for name in plain.env.list_templates():
        if not name.endswith(".html") or name.startswith("govuk_frontend_jinja/"):
            continue
        tree = plain.env.parse(plain.env.loader.get_source(plain.env, name)[0])
        for node in tree.find_all((nodes.Compare, nodes.Test, nodes.Getitem, nodes.Getattr, nodes.Slice)):
            operands = [getattr(node, "node", None), getattr(node, "expr", None)]
            operands += [op.expr for op in getattr(node, "ops", [])]
            for operand in filter(None, operands):
                assert not set(_operand_names(operand, transparent)) & HOLES, (name, node)
