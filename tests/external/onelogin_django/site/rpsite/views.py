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
from govuk_onelogin_django.utils import get_one_login_logout_url


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
    """For the test: the live sessions in the database store and whose they are."""
    users = {str(u.pk): u for u in get_user_model().objects.all()}
    sessions = []
    for session in Session.objects.filter(expire_date__gte=timezone.now()):
        user = users.get(session.get_decoded().get(SESSION_KEY))
        if user is not None:
            sessions.append({"sub": user.username, "email": user.email})
    return JsonResponse(
        {
            "sessions": sessions,
            "users": [{"sub": u.username, "email": u.email} for u in users.values()],
        }
    )
