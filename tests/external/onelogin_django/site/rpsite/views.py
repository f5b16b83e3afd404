import base64
import json

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.sessions.models import Session
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView
from govuk_onelogin_django.utils import TOKEN_SESSION_KEY, get_one_login_logout_url


class StartView(TemplateView):
    template_name = "start.html"


class AccountView(LoginRequiredMixin, TemplateView):
    """The protected page: who the library says is signed in."""

    template_name = "account.html"


class SignOutView(LoginRequiredMixin, View):
    """The library's example logout: end the local session, then GOV.UK One Login's."""

    http_method_names = ["post"]

    def post(self, request):
        post_logout_redirect_uri = request.build_absolute_uri(reverse(settings.LOGIN_URL))
        url = get_one_login_logout_url(request, post_logout_redirect_uri)
        auth.logout(request)
        return HttpResponseRedirect(url)


class SignOutAtOneLoginOnlyView(LoginRequiredMixin, View):
    """Sends the browser to GOV.UK One Login's logout WITHOUT ending the local session, so that
    only the provider's back-channel logout (handled by the library's view) can end it."""

    http_method_names = ["post"]

    def post(self, request):
        post_logout_redirect_uri = request.build_absolute_uri(reverse(settings.LOGIN_URL))
        return HttpResponseRedirect(get_one_login_logout_url(request, post_logout_redirect_uri))


def state(request):
    """For the test: the live sessions in the database store, whose they are, and the header of
    the ID token the library validated and kept for each."""
    users = {str(u.pk): u for u in get_user_model().objects.all()}
    sessions = []
    for session in Session.objects.filter(expire_date__gte=timezone.now()):
        data = session.get_decoded()
        user = users.get(data.get(SESSION_KEY))
        if user is not None:
            sessions.append({
                "sub": user.username,
                "email": user.email,
                "id_token_header": _header(data.get(TOKEN_SESSION_KEY, {}).get("id_token", "")),
            })
    return JsonResponse(
        {
            "sessions": sessions,
            "users": [{"sub": u.username, "email": u.email} for u in users.values()],
        }
    )


def _header(token: str) -> dict | None:
    try:
        segment = token.split(".")[0]
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except Exception:  # noqa: BLE001
        return None
