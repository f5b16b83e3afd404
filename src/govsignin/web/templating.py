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
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from pathlib import Path

from babel.support import NullTranslations, Translations
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape
from starlette.responses import HTMLResponse

from govsignin.web.headers import page_csp

LANGUAGES = ("en", "cy")
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
_lang: ContextVar[str] = ContextVar("lang", default="en")
MAX_FRAGMENTS = 1000


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
        token = _lang.set(lang)
        try:
            nonce = secrets.token_urlsafe(16)
            other = "en" if lang == "cy" else "cy"
            html = self.env.get_template(template).render(
                request=request, htmlLang=lang, cspNonce=nonce, lang=lang,
                toggle_lang=other, toggle_url=f"{request.scope.get('path', '/')}?lng={other}", **context
            )
        finally:
            _lang.reset(token)
        response = HTMLResponse(
            html,
            status_code=status,
            headers={"Content-Security-Policy": page_csp(nonce), "Cache-Control": "no-store"},
        )
        if _query_lang(request) in LANGUAGES:  # the language toggle remembers the choice
            set_language_cookie(response, lang, self.settings)
        return response


def set_language_cookie(response, lang: str, settings) -> None:
    """The citizen's language (the toggle, or a service's ui_locales), for a year. Not a secret,
    but like every cookie here it is Secure under https, and HttpOnly: no script reads it."""
    response.set_cookie(
        "lng", lang, max_age=31536000, path="/", secure=settings.secure_cookies(), httponly=True, samesite="lax"
    )


def _query_lang(request) -> str | None:
    try:
        return request.query_params.get("lng")
    except UnicodeDecodeError:  # a hostile query string must still get its error page
        return None


def pick_language(request) -> str:
    lang = _query_lang(request) or request.cookies.get("lng")
    return lang if lang in LANGUAGES else "en"
