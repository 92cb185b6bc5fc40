"""Password reset: a bounded number of mails per mailbox and per client, links that point at
the configured SITE_URL (never at whatever Host a request claimed), and a completed reset that
lets its owner log in again at once."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm

from shortscience import ratelimit

from .forms import QueuedResetMail
from .throttling import clear_failures, remember_device

MAILS_PER_ADDRESS = 3  # reset mails one mailbox receives an hour
REQUESTS_PER_CLIENT = 30  # reset requests one client address makes an hour
WINDOW = 3600


class LimitedPasswordResetForm(QueuedResetMail, PasswordResetForm):
    def get_users(self, email):
        # Counted whether or not an account uses the address, so the limit tells nothing;
        # past it the page answers as usual and no mail goes out.
        if ratelimit.exceeded(
            "reset-mailbox", email.strip().lower()[:254], limit=MAILS_PER_ADDRESS, window=WINDOW
        ):
            return iter(())
        return super().get_users(email)

    def save(self, **kwargs):
        site = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = site.netloc
        kwargs["use_https"] = site.scheme == "https"
        return super().save(**kwargs)


class LimitedPasswordResetView(auth_views.PasswordResetView):
    form_class = LimitedPasswordResetForm

    def post(self, request, *args, **kwargs):
        address = ratelimit.client_address(request)
        if ratelimit.exceeded("reset-client", address, limit=REQUESTS_PER_CLIENT, window=WINDOW):
            form = self.get_form()
            form.is_valid()
            form.add_error(None, "Too many reset requests from your network; try again in an hour.")
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever reset the password owns the mailbox: earlier failed log-ins (someone else's
        # guesses, perhaps) no longer hold the account, and this browser is trusted.
        clear_failures(form.user)
        remember_device(self.request, response, form.user)
        return response
