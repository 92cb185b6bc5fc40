from django.contrib import messages
from django.contrib.auth import logout

from .suspension import suspension_notice


def end_banned_sessions(get_response):
    """A ban takes effect at the banned user's next request, whatever session they hold."""

    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_banned:
            notice = suspension_notice(user)
            logout(request)
            messages.error(request, notice)
        return get_response(request)

    return middleware
