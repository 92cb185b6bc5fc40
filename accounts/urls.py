from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from . import views
from .throttling import ThrottledAuthenticationForm

app_name = "accounts"

urlpatterns = [
    re_path(r"^user/?$", views.legacy_profile, name="legacy_profile"),
    path("user/<str:username>/", views.profile, name="profile"),
    path("users/", views.user_list, name="users"),
]

auth_urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
