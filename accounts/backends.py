from django.contrib.auth.backends import ModelBackend
from django.db.models import Case, When

from .models import User


class UsernameOrEmailBackend(ModelBackend):
    """Log in with a username or an e-mail address, case-insensitively. Banned accounts and
    inactive ones cannot log in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        login = username.strip()
        # A username wins over an address; an address several accounts share (a sign-up may
        # reuse one without being told) belongs to the account that confirmed it, else the
        # oldest, so a newcomer reusing someone's address cannot take their log-in.
        user = (
            User.objects.named(login)
            .order_by(
                Case(When(username__iexact=login, then=0), default=1),
                "-email_confirmed",
                "date_joined",
                "pk",
            )
            .first()
        )
        if user is None:
            User().set_password(password)  # same work as a real check, against timing probes
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not user.is_banned

    def get_user(self, user_id):
        # A banned user's session still resolves here so that end_banned_sessions can end it
        # with an explanation instead of silently showing them as logged out.
        user = User._default_manager.filter(pk=user_id).first()
        if user is not None and super().user_can_authenticate(user):
            return user
        return None
