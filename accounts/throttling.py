"""Log-in throttling that stops password guessing without letting one visitor lock others out.

Failures are counted per (account, address): five in 15 minutes stop that address from trying
that account, while its owner elsewhere logs in as usual. A generous ceiling per address stops
one address from trying many accounts. A browser that has logged in to an account before
carries a signed device cookie and is judged by its own failures, not its address's: behind a
proxy, where every visitor may share one address, one visitor cannot lock out the others who
have logged in before, and a newcomer gets in through a password reset, which clears the
account's counters and trusts the browser it was completed in."""

import secrets
import time

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core import signing
from django.core.cache import cache

from shortscience import ratelimit

from .models import User

WINDOW = 15 * 60
PER_ACCOUNT_AND_ADDRESS = 5
PER_ADDRESS = 100
PER_DEVICE = 5

DEVICE_COOKIE = "ss_device"
DEVICE_SALT = "accounts.login-device"
DEVICE_MAX_AGE = 365 * 24 * 3600
DEVICE_ACCOUNTS = 5  # accounts one browser is remembered for


def account_key(login):
    """One counter per account whether it is named by username or address, in any case; a
    name no account has is counted as typed (and behaves the same)."""
    login = (login or "").strip().lower()
    pk = User.objects.named(login).order_by("pk").values_list("pk", flat=True).first()
    return f"u{pk}" if pk else f"n:{login[:200]}"


def _epoch(account):
    return cache.get(f"login-epoch:{account}", 0)


def clear_failures(user):
    """After a successful reset: earlier failures against this account count no more."""
    # A new epoch makes every (account, address) counter of the old one unreachable; it only
    # needs to outlive those counters.
    cache.set(f"login-epoch:u{user.pk}", time.time_ns(), timeout=2 * WINDOW + 60)


def _device(request):
    """The device cookie's content: {"d": device id, "u": [account pks]}, or None."""
    raw = request.COOKIES.get(DEVICE_COOKIE, "") if request is not None else ""
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), list):
        return None
    return data


def trusted_device(request, account):
    """The id of this browser when it has logged in to `account` before, else None."""
    data = _device(request)
    if data and account.startswith("u") and account[1:].isdigit():
        if int(account[1:]) in data["u"]:
            return str(data.get("d", ""))[:64] or None
    return None


def remember_device(request, response, user):
    """Mark this browser as one `user` logs in from (after a log-in, sign-up or reset)."""
    data = _device(request) or {"d": secrets.token_urlsafe(16), "u": []}
    accounts = [pk for pk in data["u"] if pk != user.pk][-(DEVICE_ACCOUNTS - 1) :] + [user.pk]
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps({"d": data["d"], "u": accounts}, salt=DEVICE_SALT),
        max_age=DEVICE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled_account": (
            "Too many failed log-ins for this account from here. Wait 15 minutes, or reset "
            "your password."
        ),
        "throttled_address": (
            "Too many failed log-ins from your network. Wait 15 minutes, or reset your "
            "password to log in now."
        ),
    }

    def clean(self):
        login = self.cleaned_data.get("username") or ""
        if not login.strip():
            return super().clean()
        account = account_key(login)
        device = trusted_device(self.request, account)
        if device:
            counters = [("login-device", f"{account}:{device}", PER_DEVICE, "throttled_account")]
        else:
            address = ratelimit.client_address(self.request) if self.request else "unknown"
            counters = [
                ("login-address", address, PER_ADDRESS, "throttled_address"),
                (
                    "login-pair",
                    f"{account}:{_epoch(account)}:{address}",
                    PER_ACCOUNT_AND_ADDRESS,
                    "throttled_account",
                ),
            ]
        for scope, ident, limit, message in counters:
            # Refused before the password is checked: a throttled guess learns nothing.
            if ratelimit.count(scope, ident, window=WINDOW) >= limit:
                raise forms.ValidationError(self.error_messages[message], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            for scope, ident, _, _ in counters:
                ratelimit.hit(scope, ident, window=WINDOW)
            raise
        ratelimit.reset(*counters[-1][:2], window=WINDOW)
        return cleaned


class ThrottledLoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm

    def form_valid(self, form):
        response = super().form_valid(form)
        remember_device(self.request, response, form.get_user())
        return response
