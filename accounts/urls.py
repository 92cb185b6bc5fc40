from django.contrib.auth import views as auth_views
from django.urls import path, re_path
from django.utils.functional import lazy

from shortscience.links import absolute_url

from . import views
from .passwordreset import LimitedPasswordResetView, ResetConfirmView
from .suspension import LoginForm
from .throttling import ThrottledLoginView

app_name = "accounts"

urlpatterns = [
    re_path(r"^user/?$", views.legacy_profile, name="legacy_profile"),
    path("user/<str:username>/", views.profile, name="profile"),
    path("users/", views.user_list, name="users"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/confirm/<str:token>/", views.confirm_email, name="confirm_email"),
    path("accounts/confirm-again/", views.resend_confirmation, name="resend_confirmation"),
    path("accounts/settings/", views.account_settings, name="settings"),
    path("accounts/email/", views.change_email, name="change_email"),
    path(
        "accounts/email/confirm/<str:token>/",
        views.confirm_email_change,
        name="confirm_email_change",
    ),
    re_path(r"^accounts/export/summaries\.(?P<fmt>csv|json)$", views.export, name="export"),
    re_path(r"^accounts/export/papers\.(?P<fmt>bib)$", views.export, name="export_papers"),
    path("accounts/export/everything.json", views.export, {"fmt": "everything"}, name="export_all"),
    path("accounts/delete/", views.delete_own_account, name="delete"),
    path("accounts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

# Django's own views, at the names they reverse to (outside the namespace).
auth_urlpatterns = [
    path(
        "accounts/login/",
        ThrottledLoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        # The link in the e-mail is built from SITE_URL, not from the request's Host header.
        LimitedPasswordResetView.as_view(
            extra_email_context={"site_url": lazy(absolute_url, str)("")}
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
