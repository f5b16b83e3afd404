from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.StartView.as_view(), name="start"),
    path("account/", views.AccountView.as_view(), name="account"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("sign-out-at-one-login/", views.SignOutAtOneLoginOnlyView.as_view(), name="sign-out-at-one-login"),
    path("rp/state/", views.state, name="rp-state"),
    # The library's views: one-login/login/, one-login/callback/, one-login/back-channel-logout/
    path("one-login/", include("govuk_onelogin_django.urls")),
]
