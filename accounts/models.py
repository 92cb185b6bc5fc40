from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

username_validator = RegexValidator(
    r"^[A-Za-z0-9_-]+\Z",
    "A username may contain only letters, digits, underscores and hyphens.",
)


class CaseInsensitiveUserManager(UserManager):
    def named(self, login):
        """Users whose username, or e-mail address, matches `login` in any case; written with
        Lower() so that PostgreSQL uses the functional indexes below."""
        login = login.strip().lower()
        return self.alias(username_lower=Lower("username"), email_lower=Lower("email")).filter(
            models.Q(username_lower=login) | models.Q(email_lower=login)
        )

    def with_username(self, username):
        return self.alias(username_lower=Lower("username")).filter(
            username_lower=username.strip().lower()
        )

    def writers_named(self, text, *, limit=5):
        """Writers with public summaries whose username or display name contains every word
        of `text`, the best known first."""
        words = text.split()[:5]
        if not words:
            return self.none()
        found = self.filter(is_active=True, banned_at__isnull=True, public_summary_count__gt=0)
        for word in words:
            found = found.filter(
                models.Q(username__icontains=word) | models.Q(display_name__icontains=word)
            )
        return found.order_by("-reputation", "-public_summary_count", "username")[:limit]

    def get_by_natural_key(self, username):
        return self.with_username(username).get()


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=40,
        unique=True,
        validators=[username_validator],
        help_text="Letters, digits, underscores and hyphens; at most 40 characters.",
        error_messages={"unique": "That username is taken."},
    )
    display_name = models.CharField(max_length=100, blank=True)
    bio = models.TextField(
        "short bio",
        max_length=2000,
        blank=True,
        help_text="Markdown, math and \\cite{key} work here, as in comments.",
    )
    # Rendered at save by the web layer's pipeline (see render_bio): accounts cannot import it.
    bio_html = models.TextField(blank=True, editable=False)
    # An address the person asked to change to; it takes effect once they open the link sent to it.
    pending_email = models.EmailField(blank=True)
    orcid = models.CharField("ORCID iD", max_length=19, blank=True)
    email_on_comments = models.BooleanField("email me about comments on my summaries", default=True)
    email_confirmed = models.BooleanField(default=False)
    # Mean net score of public summaries; recomputed when votes change.
    reputation = models.FloatField(default=0.0, db_index=True)
    public_summary_count = models.PositiveIntegerField(default=0)
    banned_at = models.DateTimeField(null=True, blank=True)
    ban_reason = models.CharField(max_length=500, blank=True)

    objects = CaseInsensitiveUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]
        indexes = [models.Index(Lower("email"), name="user_email_lower")]
        permissions = [("ban_user", "Can ban and unban users")]

    def __str__(self):
        if self.display_name and self.display_name != self.username:
            return f"{self.display_name} (@{self.username})"
        return self.username

    def get_absolute_url(self):
        return reverse("accounts:profile", args=[self.username])

    @property
    def name(self):
        """What the site shows for this person."""
        return self.display_name or self.username

    @property
    def is_banned(self):
        return self.banned_at is not None

    def render_bio(self, render):
        """Store the bio's HTML; `render` is the site's Markdown pipeline (Markdown in, a result
        with .html out), passed down by the caller because accounts sits below summaries."""
        self.bio_html = render(self.bio).html if self.bio.strip() else ""

    @property
    def may_publish(self):
        """Public summaries, comments and votes need a confirmed address (drafts and private
        summaries do not): one click per throwaway address is what a spammer must pay."""
        return self.email_confirmed and not self.is_banned

    @property
    def is_moderator(self):
        return self.is_staff and (self.is_superuser or self.has_perm("summaries.change_summary"))


class OutgoingMessage(models.Model):
    """One e-mail on its way out: kept until it is sent, and kept after it failed for good.

    accounts/outbox.py queues and delivers these; the worker's tasks only carry their ids."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed (gave up; retry from the admin)"

    kind = models.CharField(max_length=40, help_text="confirmation, password-reset, comment, …")
    # Deleting an account deletes its mail too, sent or waiting: nothing of the person remains.
    recipient = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="outgoing_messages"
    )
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # Made when queued, so a message sent twice (a worker killed after the server took it)
    # carries the same Message-ID both times and mail software can drop the copy.
    message_id = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.CharField(max_length=32, blank=True, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outgoing_due")]

    def __str__(self):
        return f"{self.kind} to {self.to}: {self.subject}"


class RetiredUsernameQuerySet(models.QuerySet):
    def holds(self, username):
        return self.filter(username_lower=username.strip().lower()).exists()


class RetiredUsername(models.Model):
    """The username of a deleted account: never given to anyone else, so that links, mentions
    and old summaries that name it never point at a stranger."""

    username_lower = models.CharField(max_length=40, unique=True)
    retired_at = models.DateTimeField(auto_now_add=True)

    objects = RetiredUsernameQuerySet.as_manager()

    def __str__(self):
        return self.username_lower
