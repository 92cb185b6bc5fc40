"""Log-in throttling: a few failures per account and more per address, then a pause."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from shortscience import ratelimit

WINDOW = 15 * 60
PER_ACCOUNT = 5
PER_ADDRESS = 20


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled_account": (
            "Too many failed log-ins for this account. Wait 15 minutes, or reset your password."
        ),
        "throttled_address": (
            "Too many failed log-ins from your network. Wait 15 minutes and try again."
        ),
    }

    def clean(self):
        login = (self.cleaned_data.get("username") or "").strip().lower()
        address = ratelimit.client_address(self.request) if self.request else "unknown"
        if ratelimit.count("login-address", address, window=WINDOW) >= PER_ADDRESS:
            raise forms.ValidationError(self.error_messages["throttled_address"], code="throttled")
        if login and ratelimit.count("login-account", login, window=WINDOW) >= PER_ACCOUNT:
            raise forms.ValidationError(self.error_messages["throttled_account"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            ratelimit.hit("login-address", address, window=WINDOW)
            if login:
                ratelimit.hit("login-account", login, window=WINDOW)
            raise
        ratelimit.reset("login-account", login, window=WINDOW)
        return cleaned
