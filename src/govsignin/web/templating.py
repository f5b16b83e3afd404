"""Jinja2 with the GOV.UK Frontend macros (govuk-frontend-jinja) and Babel translations.

Pages call `render(request, "journeys/enter-email.html", ...)`: the language comes from the
journey (ui_locales) or the `lng` cookie, `<html lang>` follows it, and every response gets a
fresh CSP nonce for its one inline script.

Rendering is most of a page's CPU, so the parts of the layout that are the same on every
request (GOV.UK skip link, header, service navigation, footer: a dozen govuk-frontend-jinja
macro calls) are rendered once per language and reused. A template marks such a part with
`{% call per_language("key") %}...{% endcall %}`: the body is rendered on the first request in
each language and its HTML is spliced in afterwards. The body may use only `_()`, `service_name`
and macros, never a request's variables (tests/unit/test_templating.py checks both that and that
every page is byte-for-byte what the uncached rendering gives, in English and Welsh).
Templates ship in the package, so they are compiled once and never re-checked on disk.

Whole pages are cached too, as *shells*: a page whose request-specific values are only the
`HOLES` (CSRF token, CSP nonce, language-toggle URL, service name, email address) and whose
other values are None, booleans or numbers is rendered once per template, language and shape of
those values, with marker strings in the holes; the HTML is split at the markers, and each later
request joins the pieces with its own values, HTML-escaped as Jinja's autoescape does. A shell
is kept only if a second rendering with different markers gives the same pieces, and no marker
was altered, unescaped or dropped on the way (`_Shell.build`); otherwise that page renders
normally every time. Pages with an error, lists or objects always render normally.
tests/unit/test_templating.py proves every page byte-for-byte equal to the plain rendering.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from pathlib import Path

from babel.support import NullTranslations, Translations
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape
from markupsafe import escape
from starlette.responses import HTMLResponse
from starlette.routing import Route

from govsignin.web.headers import page_csp

LANGUAGES = ("en", "cy")
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
_lang: ContextVar[str] = ContextVar("lang", default="en")
MAX_FRAGMENTS = 1000
MAX_SHELLS = 2000  # template × language × shape: a few hundred in practice

# Context names whose values a page shell leaves as holes (each a string used only as text or
# an attribute value, or tested for truthiness: the shell's key holds whether each is empty).
HOLES = frozenset({"csrf_token", "cspNonce", "toggle_url", "client_name", "email"})
_SCALARS = (type(None), bool, int)
_FROM_LANG = frozenset({"htmlLang", "lang", "toggle_lang"})  # set by render() from the language
# Markers: private-use characters around mixed-case letters, digits and the characters templates
# like to replace or escape ("@", ".", " ", "-", quotes, "&"), so that a filter that changes case,
# replaces, escapes differently or cuts a value leaves a broken marker behind. Two sets of
# different lengths, so a filter that measures a value shows up as two different pages.
_MARKER_SETS = (("aQ", "xZ"), ("bbbQQ", "yyyZZ"))
_MARKER_TAIL = "@. -'\"&"
_MARKER = re.compile(
    "\ue000(?:aQ|bbbQQ)([0-9]+)(?:xZ|yyyZZ)" + re.escape(str(escape(_MARKER_TAIL))) + "\ue001"
)


class _Shell:
    """A page as static pieces and the holes between them: pieces[0] hole[0] pieces[1] ..."""

    __slots__ = ("pieces", "holes")

    def __init__(self, pieces: list[str], holes: list[str]):
        self.pieces, self.holes = pieces, holes

    def fill(self, values: dict[str, str]) -> str:
        out = [self.pieces[0]]
        for hole, piece in zip(self.holes, self.pieces[1:]):
            out.append(escape(values[hole]))
            out.append(piece)
        return "".join(out)

    @classmethod
    def build(cls, render, names: list[str]) -> _Shell | None:
        """`render(values)` with two sets of markers for `names`; None unless both split into the
        same pieces with every marker intact (escaped like text, nothing left over)."""
        split = []
        for before, after in _MARKER_SETS:
            markers = {name: f"\ue000{before}{i}{after}{_MARKER_TAIL}\ue001" for i, name in enumerate(names)}
            html = render(markers)
            parts = _MARKER.split(html)  # text, index, text, index, ..., text
            pieces, holes = parts[0::2], [names[int(i)] for i in parts[1::2]]
            if any("\ue000" in piece or "\ue001" in piece for piece in pieces):
                return None  # a marker was filtered, cut or left unescaped
            split.append((pieces, holes))
        if split[0] != split[1]:
            return None  # the page depends on a value's length or content, not only its text
        return cls(*split[0])


def _load_translations() -> dict:
    out = {"en": NullTranslations()}
    for lang in LANGUAGES[1:]:
        out[lang] = Translations.load(str(TRANSLATIONS_DIR), [lang], domain="messages")
    return out


class _Environment(Environment):
    def make_globals(self, d):
        """A template's globals as a plain dict, not Jinja's ChainMap over the environment's.

        Every `{% from ... import %}` (about 25 a page, most of them inside govuk-frontend-jinja
        macros, run on every call) computes `context globals - template.globals.keys()`, and
        membership in a ChainMap costs a Python call per key: a fifth of a page's rendering. The
        environment's globals are all set in `Templates.__init__`, before any template loads.
        """
        return {**self.globals, **(d or {})}


class Templates:
    def __init__(self, settings, cache: bool = True):
        self.settings = settings
        self.cache = cache
        self._fragments: dict[tuple, str] = {}
        self._shells: dict[tuple, _Shell | None] = {}  # None: that page renders every time
        self.translations = _load_translations()
        self.env = _Environment(
            loader=ChoiceLoader(
                [
                    PackageLoader("govsignin", "templates"),
                    PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
                ]
            ),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # no os.stat of every template on every render
            cache_size=-1,  # every compiled template stays (there are about a hundred)
        )
        self.env.install_gettext_callables(self.gettext, self.ngettext, newstyle=True)
        self.env.globals["service_name"] = settings.service_name
        self.env.globals["per_language"] = self.per_language

    def per_language(self, key: str, *parts, caller, unless=False):
        """`{% call per_language(key, *parts, unless=...) %}body{% endcall %}`: the body's HTML,
        rendered once per language (and per value of `parts`), then reused.

        The body may read `_()`, `service_name`, macros, and the names passed in `parts` (a macro's
        own parameters, e.g. a field name: a few fixed values each) or in `unless`. While `unless`
        is true (say, an error to show, a value typed in) the body is rendered every time, so it
        must give the same HTML for every value of those names that makes `unless` false.
        """
        if unless or not self.cache:
            return caller()
        cache_key = (key, _lang.get(), *[(type(part), part) for part in parts])
        html = self._fragments.get(cache_key)
        if html is None:
            html = caller()
            if len(self._fragments) < MAX_FRAGMENTS:  # bounded even if a template misuses `parts`
                self._fragments[cache_key] = html
        return html

    def gettext(self, message: str) -> str:
        return self.translations[_lang.get()].gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations[_lang.get()].ngettext(singular, plural, n)

    def render(self, request, template: str, status: int = 200, lang: str | None = None, **context) -> HTMLResponse:
        lang = lang if lang in LANGUAGES else pick_language(request)
        nonce = secrets.token_urlsafe(16)
        other = "en" if lang == "cy" else "cy"
        context.update(htmlLang=lang, cspNonce=nonce, lang=lang, toggle_lang=other,
                       toggle_url=f"{_route_path(request)}?lng={other}")
        html = self._from_shell(template, lang, context) if self.cache else None
        if html is None:
            html = self._render(template, lang, context)
        response = HTMLResponse(
            html,
            status_code=status,
            headers={"Content-Security-Policy": page_csp(nonce), "Cache-Control": "no-store"},
        )
        if _query_lang(request) in LANGUAGES:  # the language toggle remembers the choice
            set_language_cookie(response, lang, self.settings)
        return response

    def _render(self, template: str, lang: str, context: dict) -> str:
        token = _lang.set(lang)
        try:
            return self.env.get_template(template).render(**context)
        finally:
            _lang.reset(token)

    def _from_shell(self, template: str, lang: str, context: dict) -> str | None:
        """The page from its shell, or None to render it: some value is not a hole or a scalar."""
        holes, shape = [], []
        for name, value in context.items():
            if name in _FROM_LANG:
                continue  # a function of `lang`, which is in the key
            if name in HOLES and type(value) is str and value:
                holes.append(name)
            elif type(value) in _SCALARS or value == "":
                shape.append((name, value))
            else:
                return None
        key = (template, lang, tuple(holes), tuple(shape))
        shell = self._shells.get(key, False)
        if shell is False:
            shell = _Shell.build(lambda markers: self._render(template, lang, {**context, **markers}), holes)
            if len(self._shells) < MAX_SHELLS:
                self._shells[key] = shell
        return shell.fill(context) if shell is not None else None


def set_language_cookie(response, lang: str, settings) -> None:
    """The citizen's language (the toggle, or a service's ui_locales), for a year. Not a secret,
    but like every cookie here it is Secure under https, and HttpOnly: no script reads it."""
    response.set_cookie(
        "lng", lang, max_age=31536000, path="/", secure=settings.secure_cookies(), httponly=True, samesite="lax"
    )


def _route_path(request) -> str:
    """The path of the route that answered, never the raw request path: a 404 for
    `//evil.example/x` must not link to `//evil.example/x?lng=cy`, which a browser reads as
    another site. With no route (an error page) the toggle is a query-only link (`?lng=cy`),
    which stays on the page the citizen is on, whatever its path."""
    route = request.scope.get("route")
    if type(route) is Route and not route.param_convertors:
        return route.path
    return ""


def _query_lang(request) -> str | None:
    try:
        return request.query_params.get("lng")
    except UnicodeDecodeError:  # a hostile query string must still get its error page
        return None


def pick_language(request) -> str:
    lang = _query_lang(request) or request.cookies.get("lng")
    return lang if lang in LANGUAGES else "en"
