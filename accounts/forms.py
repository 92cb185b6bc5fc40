import re

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.db.models.functions import Lower
from django.template import loader

from . import outbox
from .models import RetiredUsername, User

ORCID_SHAPE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


def orcid_checksum_ok(orcid):
    """ISO 7064 MOD 11-2 check digit, as ORCID defines it."""
    digits = orcid.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label="E-mail",
        help_text="We send a link to confirm it; it is never shown on the site.",
    )

    # A honeypot: hidden from people by the stylesheet, filled in by form-filling bots.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email"]

    def clean_username(self):
        username = super().clean_username()
        if username and RetiredUsername.objects.holds(username):
            raise forms.ValidationError(User._meta.get_field("username").error_messages["unique"])
        return username

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise forms.ValidationError("This form could not be accepted.")
        return ""

    def clean_email(self):
        # Whether an account already uses it is not said here (that would tell anyone which
        # addresses are registered): the sign-up view tells the owner by e-mail instead.
        return self.cleaned_data["email"].strip()


def accounts_using_email(email):
    return User.objects.alias(email_lower=Lower("email")).filter(
        email_lower=email.strip().lower(), is_active=True
    )


class SettingsForm(forms.ModelForm):
    # Longer than the stored field so that a pasted https://orcid.org/... link is accepted.
    orcid = forms.CharField(
        label="ORCID iD", required=False, max_length=60, help_text="Like 0000-0002-1825-0097."
    )

    class Meta:
        model = User
        fields = ["display_name", "bio", "orcid", "email_on_comments"]
        labels = {
            "email_on_comments": "E-mail me about new comments on my summaries and on "
            "summaries I commented on"
        }
        help_texts = {
            "display_name": "Shown instead of your username; leave empty to use the username.",
        }
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def clean_orcid(self):
        orcid = self.cleaned_data["orcid"].strip().upper()
        for prefix in ("HTTPS://ORCID.ORG/", "HTTP://ORCID.ORG/", "ORCID.ORG/"):
            if orcid.startswith(prefix):
                orcid = orcid[len(prefix) :]
        if not orcid:
            return ""
        if not ORCID_SHAPE.match(orcid):
            raise forms.ValidationError("An ORCID iD looks like 0000-0002-1825-0097.")
        if not orcid_checksum_ok(orcid):
            raise forms.ValidationError(
                "That ORCID iD has a wrong check digit; please copy it again from orcid.org."
            )
        return orcid


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    delete_summaries = forms.BooleanField(
        label="Also delete my public summaries",
        required=False,
        help_text="Otherwise they stay on the site, shown as written by “Anonymous”.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class QueuedResetMail:
    """For a PasswordResetForm: its e-mail goes through the durable queue (accounts.outbox)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        outbox.queue_mail(
            to=to_email,
            subject=subject,
            body=loader.render_to_string(email_template_name, context),
            html_body=(
                loader.render_to_string(html_email_template_name, context)
                if html_email_template_name
                else ""
            ),
            kind="password-reset",
            recipient=context.get("user"),
        )


def address_in_use(email, *, except_user=None):
    taken = User.objects.alias(email_lower=Lower("email")).filter(email_lower=email.lower())
    if except_user is not None:
        taken = taken.exclude(pk=except_user.pk)
    return taken.exists()


class ChangeEmailForm(forms.Form):
    email = forms.EmailField(
        label="New e-mail address",
        help_text="We send a link to it; your current address stays until you open the link.",
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if email.lower() == self.user.email.lower():
            raise forms.ValidationError("That is already your address.")
        if address_in_use(email, except_user=self.user):
            raise forms.ValidationError("An account already uses this address.")
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
