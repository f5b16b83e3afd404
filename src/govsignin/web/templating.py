"""Jinja2 with the GOV.UK Frontend macros (govuk-frontend-jinja) and Babel translations.

Pages call `render(request, "journeys/enter-email.html", ...)`: the language comes from the
journey (ui_locales) or the `lng` cookie, `<html lang>` follows it, and every response gets a
fresh CSP nonce for its one inline script.
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


def _load_translations() -> dict:
    out = {"en": NullTranslations()}
    for lang in LANGUAGES[1:]:
        out[lang] = Translations.load(str(TRANSLATIONS_DIR), [lang], domain="messages")
    return out


class Templates:
    def __init__(self, settings):
        self.settings = settings
        self.translations = _load_translations()
        self.env = Environment(
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
        )
        self.env.install_gettext_callables(self.gettext, self.ngettext, newstyle=True)
        self.env.globals["service_name"] = settings.service_name

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
            response.set_cookie("lng", lang, max_age=31536000, path="/", samesite="lax")
        return response


def _query_lang(request) -> str | None:
    try:
        return request.query_params.get("lng")
    except UnicodeDecodeError:  # a hostile query string must still get its error page
        return None


def pick_language(request) -> str:
    lang = _query_lang(request) or request.cookies.get("lng")
    return lang if lang in LANGUAGES else "en"
