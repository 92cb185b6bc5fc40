from django.contrib.auth.backends import ModelBackend

from .models import User


class UsernameOrEmailBackend(ModelBackend):
    """Log in with a username or an e-mail address, case-insensitively. Banned accounts and
    inactive ones cannot log in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        login = username.strip()
        matches = list(User.objects.named(login)[:2])
        # An address shared by two accounts is ambiguous: only the exact username may log in.
        if len(matches) > 1:
            matches = [u for u in matches if u.username.lower() == login.lower()]
        if len(matches) != 1:
            User().set_password(password)  # same work as a real check, against timing probes
            return None
        user = matches[0]
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
