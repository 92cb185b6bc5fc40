"""Signed, expiring links sent by e-mail: confirm an address, stop comment e-mails."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from shortscience.links import absolute_url

CONFIRM_SALT = "accounts.confirm-email"
UNSUBSCRIBE_SALT = "accounts.unsubscribe"
EMAIL_CHANGE_SALT = "accounts.change-email"


def confirmation_token(user):
    # Bound to the address: changing the e-mail makes older links useless.
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=CONFIRM_SALT)


def confirmation_url(user):
    return absolute_url(reverse("accounts:confirm_email", args=[confirmation_token(user)]))


def user_from_confirmation_token(token):
    """The user the link was made for, or None when it is forged, expired or out of date."""
    from .models import User

    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.EMAIL_CONFIRMATION_MAX_AGE)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.email.lower() != data.get("e"):
        return None
    return user


def unsubscribe_token(user):
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user):
    return absolute_url(reverse("accounts:unsubscribe", args=[unsubscribe_token(user)]))


def user_from_unsubscribe_token(token):
    from .models import User

    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=pk).first()


def email_change_url(user):
    """The link sent to `user.pending_email`; opening it makes that the account's address."""
    token = signing.dumps({"u": user.pk, "e": user.pending_email.lower()}, salt=EMAIL_CHANGE_SALT)
    return absolute_url(reverse("accounts:confirm_email_change", args=[token]))


def user_from_email_change_token(token):
    """The user whose pending address the link confirms, or None (forged, expired, or the
    person asked for another address since)."""
    from .models import User

    try:
        data = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=settings.EMAIL_CONFIRMATION_MAX_AGE
        )
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or not user.pending_email or user.pending_email.lower() != data.get("e"):
        return None
    return user
