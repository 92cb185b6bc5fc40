"""What a suspended (banned) account is told, at log-in and when its session ends: that it is
suspended, why, and how to appeal. Only someone who knows the password learns it at log-in, so
this reveals nothing about which accounts exist."""

from django import forms
from django.conf import settings
from django.utils.html import format_html

from .models import User
from .throttling import ThrottledAuthenticationForm


def suspension_notice(user):
    """The message, as safe HTML with a mailto link to the moderators."""
    reason = (
        format_html(" The moderators gave this reason: “{}”.", user.ban_reason)
        if (user.ban_reason)
        else ""
    )
    return format_html(
        "This account is suspended.{} To appeal, write to the moderators at "
        '<a href="mailto:{}">{}</a> from the address the account uses.',
        reason,
        settings.MODERATORS_EMAIL,
        settings.MODERATORS_EMAIL,
    )


def suspended_account(login, password):
    """The banned account that `login` and `password` open, or None."""
    if not login or not password:
        return None
    for user in User.objects.named(login).filter(banned_at__isnull=False, is_active=True)[:2]:
        if user.check_password(password):
            return user
    return None


class LoginForm(ThrottledAuthenticationForm):
    """Django's log-in form with throttling; a suspended account is told so, not "wrong
    password"."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as error:
            if getattr(error, "code", None) != "invalid_login":
                raise
            user = suspended_account(
                self.cleaned_data.get("username"), self.cleaned_data.get("password")
            )
            if user is None:
                raise
            raise forms.ValidationError(suspension_notice(user), code="suspended") from None
