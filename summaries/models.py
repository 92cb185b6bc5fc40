import math
import random
import secrets

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import Truncator

from papers.models import Paper, PaperAlias

from . import invalidation, rendering, teasers

PUBLIC_SUMMARY = Q(state="published", deleted_at__isnull=True, is_private=False)


def hotness(score, created):
    """Score with time decay that never needs recomputing: newer summaries start higher and a
    tenfold score is worth about 12.5 hours of age. Stored, so the popular tab is an index scan."""
    order = math.log10(max(abs(score), 1))
    sign = 1 if score > 0 else -1 if score < 0 else 0
    return round(sign * order + created.timestamp() / 45000, 7)


# More distinct \cite keys than this in one text are refused by the forms; a text saved another
# way (the admin, an old import) has only its first ones looked up and linked.
MAX_CITATIONS = 300


def citation_targets(keys):
    """Look up cited keys (bibtex keys or aliases) for the renderer, a few queries per batch."""
    keys = list(keys)[:MAX_CITATIONS]
    papers = {}
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        papers.update(
            (p.bibtex_key, p) for p in Paper.objects.for_listing().filter(bibtex_key__in=batch)
        )
        missing = [k for k in batch if k not in papers]
        if missing:
            for alias in PaperAlias.objects.filter(key__in=missing).select_related("paper"):
                papers[alias.key] = alias.paper
    return {
        key: rendering.CitationTarget(
            url=paper.get_absolute_url(), label=paper.citation_label, title=paper.title
        )
        for key, paper in papers.items()
    }


def render_summary_source(source):
    """The one rendering of a summary's Markdown: saving and the editor preview both use it."""
    return rendering.render_markdown(source, resolve_citations=citation_targets)


def render_comment_source(source):
    return rendering.render_markdown(
        source, resolve_citations=citation_targets, allow_headings=False, allow_images=False
    )


class ModerationState(models.TextChoices):
    PUBLISHED = "published", "Published"
    HIDDEN = "hidden", "Hidden by a moderator"
    SPAM = "spam", "Spam"


class SummaryQuerySet(models.QuerySet):
    def public(self):
        return self.filter(PUBLIC_SUMMARY)

    def visible_to(self, user):
        """Public summaries plus, for a signed-in user, their own private or hidden ones."""
        if user.is_authenticated:
            return self.filter(PUBLIC_SUMMARY | Q(author=user, deleted_at__isnull=True))
        return self.public()

    def for_listing(self):
        """Everything a summary card shows (paper header and author) in a fixed query count."""
        return self.select_related("author", "paper__venue").prefetch_related(
            *Paper.objects.listing_prefetches(prefix="paper__")
        )

    def best_first(self):
        return self.order_by("-score", "-created", "-pk")

    def popular(self):
        return self.order_by("-hotness", "-pk")

    def recent(self):
        return self.order_by("-edited", "-pk")

    def pick_random(self):
        """One summary of this queryset at random, or None, in index lookups rather than an
        ORDER BY RANDOM() over every row: a random id between the lowest and the highest, then
        the first summary at or after it. Gaps in the ids make some a little likelier."""
        bounds = self.aggregate(low=Min("pk"), high=Max("pk"))
        if bounds["low"] is None:
            return None
        point = random.randint(bounds["low"], bounds["high"])
        return self.filter(pk__gte=point).order_by("pk").first() or self.order_by("pk").first()

    def with_vote_of(self, user):
        """Annotate `my_vote` (1, -1 or None) for a signed-in user, inside the same query."""
        if not user.is_authenticated:
            return self
        votes = Vote.objects.filter(summary=OuterRef("pk"), user=user).values("value")[:1]
        return self.annotate(my_vote=Subquery(votes))


class Summary(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.PROTECT, related_name="summaries")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="summaries",
        help_text="Empty when the writer deleted their account and kept the summary public.",
    )
    source = models.TextField("Markdown source")
    html = models.TextField("rendered HTML", blank=True, editable=False)
    html_version = models.PositiveIntegerField(default=0, editable=False)
    # What listing pages show: the opening of `html`, cut when it is rendered (teasers.py).
    teaser = models.TextField(blank=True, editable=False)
    # Why the stored rendering is not the whole summary ("" when it is); rerender_summaries
    # tries again. And what a reader sees, as text, for search and snippets.
    render_problem = models.CharField(max_length=300, blank=True, editable=False)
    plain_text = models.TextField(blank=True, editable=False)
    is_private = models.BooleanField("private", default=False)
    is_anonymous = models.BooleanField("anonymous", default=False)
    share_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    score = models.IntegerField(default=0)
    hotness = models.FloatField(default=0.0)
    comment_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    edited = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=20, choices=ModerationState.choices, default=ModerationState.PUBLISHED
    )
    moderation_reason = models.CharField(max_length=500, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = SummaryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "author"], name="summary_one_per_paper_and_author"
            ),
        ]
        indexes = [
            models.Index(
                fields=["-edited"], name="summary_public_recent", condition=PUBLIC_SUMMARY
            ),
            models.Index(fields=["-score"], name="summary_public_top", condition=PUBLIC_SUMMARY),
            models.Index(
                fields=["-hotness"], name="summary_public_popular", condition=PUBLIC_SUMMARY
            ),
        ]

    def __str__(self):
        # Moderators read this in the admin; lists select the paper and author with it.
        writer = self.author.name if self.author_id else "a deleted account"
        return f"“{Truncator(self.paper.title).chars(60)}” by {writer}"

    @transaction.atomic
    def save(self, *args, force_render=False, **kwargs):
        """Renders only when the source (or the pipeline) changed since it was rendered: a
        soft delete, a vote or a change of visibility does not re-render."""
        update_fields = kwargs.get("update_fields")
        rerender = force_render or (
            self.needs_rendering() and (update_fields is None or "source" in update_fields)
        )
        cited_keys = (
            self.render(refuse_oversized=update_fields is None or "source" in update_fields)
            if rerender
            else None
        )
        if rerender and update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                *("html", "html_version", "teaser", "render_problem", "plain_text"),
            }
        self.hotness = hotness(self.score, self.created)
        super().save(*args, **kwargs)
        if cited_keys is not None:
            self.sync_citations(cited_keys)
        refresh_public_counts(paper_id=self.paper_id, author_id=self.author_id)
        invalidation.summaries_changed(summary_ids=[self.pk])

    def get_absolute_url(self):
        return self.paper.get_absolute_url() + f"#{self.anchor}"

    @classmethod
    def from_db(cls, db, field_names, values):
        summary = super().from_db(db, field_names, values)
        summary._rendered_source = summary.__dict__.get("source")
        return summary

    def needs_rendering(self):
        """Whether the stored HTML is not that of the current source and pipeline."""
        return (
            self._state.adding
            or self.source != getattr(self, "_rendered_source", None)
            or self.html_version != rendering.PIPELINE_VERSION
        )

    @property
    def anchor(self):
        if self.is_anonymous or self.author is None:
            return f"summary-{self.pk}"
        return self.author.username

    @property
    def is_public(self):
        return self.state == "published" and self.deleted_at is None and not self.is_private

    @property
    def shows_author(self):
        return not self.is_anonymous and self.author is not None

    @property
    def byline(self):
        return self.author.name if self.shows_author else "Anonymous"

    def can_edit(self, user):
        return user.is_authenticated and user.pk == self.author_id and not user.is_banned

    def can_view(self, user):
        if self.is_public:
            return True
        return user.is_authenticated and (user.pk == self.author_id or user.is_moderator)

    def can_vote(self, user):
        return (
            user.is_authenticated
            and self.is_public
            and user.pk != self.author_id
            and not user.is_banned
        )

    def current_revision_id(self):
        """The revision holding the text as it is now; editors start from it."""
        return self.revisions.order_by("-pk").values_list("pk", flat=True).first()

    def render(self, *, refuse_oversized=True):
        """Render the source into the stored fields; RenderRefused if it would be too large
        (a text already stored is kept, marked, when it is not the text being changed)."""
        result = render_summary_source(self.source)
        if result.refusal and refuse_oversized:
            raise rendering.RenderRefused(result.refusal)
        self.html = result.html
        self.html_version = rendering.PIPELINE_VERSION
        self.teaser = teasers.cut(result.html)
        self._rendered_source = self.source
        self.render_problem = (result.degraded or result.refusal)[:300]
        self.plain_text = rendering.plain_text(result.html)
        return result.cited_keys

    @property
    def teaser_is_cut(self):
        return teasers.is_cut(self.teaser)

    def new_share_token(self):
        self.share_token = secrets.token_urlsafe(24)

    def sync_citations(self, cited_keys):
        cited_keys = [key[:255] for key in list(cited_keys)[:MAX_CITATIONS]]
        current = dict(self.citations.values_list("cited_key", "pk"))
        stale = [pk for key, pk in current.items() if key not in set(cited_keys)]
        if stale:
            # The papers no longer cited lose this summary from their "cited by".
            invalidation.papers_shown_changed(
                Citation.objects.filter(pk__in=stale).values_list("paper_id", flat=True)
            )
            Citation.objects.filter(pk__in=stale).delete()
        new = list(dict.fromkeys(key for key in cited_keys if key not in current))
        if new:
            found = Paper.objects.find_many(new)
            Citation.objects.bulk_create(
                (Citation(summary=self, cited_key=key, paper=found.get(key)) for key in new),
                batch_size=500,
            )

    def record_revision(self, editor, note=""):
        """Keep the current text as a revision; every save of a summary goes through this."""
        return Revision.objects.create(summary=self, source=self.source, editor=editor, note=note)


def refresh_public_counts(*, paper_id, author_id):
    """Recount the denormalized public-summary counters of a paper and its writer."""
    from accounts.models import User

    Paper.objects.filter(pk=paper_id).update(
        public_summary_count=Summary.objects.public().filter(paper_id=paper_id).count()
    )
    # Public summary text is part of the paper's search document.
    Paper.objects.filter(pk=paper_id).update_search_vectors()
    if author_id:
        User.objects.filter(pk=author_id).update(
            # Anonymous summaries are left out: a counter that moves would give their writer away.
            public_summary_count=Summary.objects.public()
            .filter(author_id=author_id, is_anonymous=False)
            .count()
        )


def resolve_waiting_citations(*, keys):
    """Link citations of `keys` that were waiting for their paper (now added, or now an alias)
    and re-render the summaries citing them, so their missing-reference marks become links."""
    waiting = Citation.objects.filter(paper__isnull=True, cited_key__in=list(keys))
    wanted = set(waiting.values_list("cited_key", flat=True))
    if not wanted:
        return 0
    targets = dict(Paper.objects.filter(bibtex_key__in=wanted).values_list("bibtex_key", "pk"))
    targets.update(PaperAlias.objects.filter(key__in=wanted).values_list("key", "paper_id"))
    for key, paper_id in targets.items():
        Citation.objects.filter(paper__isnull=True, cited_key=key).update(paper_id=paper_id)
    citing = Summary.objects.filter(citations__cited_key__in=list(targets)).distinct()
    for summary in citing:
        summary.save(force_render=True)
    return len(targets)


class Revision(models.Model):
    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="revisions")
    source = models.TextField()
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"Revision {self.pk} of summary {self.summary_id}"


class Vote(models.Model):
    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    value = models.SmallIntegerField(choices=[(1, "+1"), (-1, "-1")])
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["summary", "user"], name="vote_one_per_user"),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="vote_value_plus_or_minus"),
        ]

    def __str__(self):
        return f"{self.value:+d} by {self.user_id} on {self.summary_id}"


class CommentQuerySet(models.QuerySet):
    def public(self):
        return self.filter(state="published", deleted_at__isnull=True)


class Comment(models.Model):
    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    source = models.TextField()
    html = models.TextField(blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now)
    edited = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=20, choices=ModerationState.choices, default=ModerationState.PUBLISHED
    )
    moderation_reason = models.CharField(max_length=500, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created", "pk"]
        indexes = [models.Index(fields=["summary", "created"])]

    def __str__(self):
        writer = self.author.name if self.author_id else "a deleted account"
        return f"Comment by {writer} on “{Truncator(self.summary.paper.title).chars(50)}”"

    def save(self, *args, **kwargs):
        self.html = render_comment_source(self.source).html
        super().save(*args, **kwargs)

    @property
    def plain_text(self):
        """What readers see, as text (for plain-text e-mails)."""
        return rendering.plain_text(self.html)

    @property
    def is_public(self):
        """Shown to readers: published, not deleted, under a public summary."""
        return (
            self.state == ModerationState.PUBLISHED
            and self.deleted_at is None
            and self.summary.is_public
        )

    def can_delete(self, user):
        return user.is_authenticated and user.pk == self.author_id and self.deleted_at is None

    @property
    def shows_author(self):
        """False for the writer of an anonymous summary commenting on it: that would unmask them."""
        if self.author is None:
            return False
        return not (self.summary.is_anonymous and self.author_id == self.summary.author_id)

    @property
    def byline(self):
        if self.shows_author:
            return self.author.name
        return "a deleted account" if self.author is None else "the summary's writer"


class Citation(models.Model):
    """A \\cite{key} in a summary; paper is filled in once the cited paper exists."""

    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="citations")
    cited_key = models.CharField(max_length=255, db_index=True)
    paper = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="citations"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["summary", "cited_key"], name="citation_unique_key")
        ]

    def __str__(self):
        return f"{self.summary_id} cites {self.cited_key}"


class Report(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        ABUSE = "abuse", "Abusive or offensive"
        PLAGIARISM = "plagiarism", "Copied from elsewhere"
        WRONG = "wrong", "Wrong paper or seriously wrong content"
        OTHER = "other", "Something else"

    summary = models.ForeignKey(
        Summary, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="reports_filed",
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    text = models.TextField(blank=True, max_length=2000)
    created = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(summary__isnull=False, comment__isnull=True)
                | Q(summary__isnull=True, comment__isnull=False),
                name="report_targets_one_thing",
            )
        ]

    def __str__(self):
        target = f"summary {self.summary_id}" if self.summary_id else f"comment {self.comment_id}"
        return f"Report on {target}: {self.get_reason_display()}"


class ModerationAction(models.Model):
    """Who did what to which piece of content, when and why; written by summaries.moderation."""

    class Verb(models.TextChoices):
        HIDE = "hide", "Hid"
        SPAM = "spam", "Marked as spam"
        RESTORE = "restore", "Restored"
        DISMISS = "dismiss", "Dismissed report"
        BAN = "ban", "Banned"
        UNBAN = "unban", "Unbanned"
        MERGE = "merge", "Merged papers"
        EDIT = "edit", "Edited"

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=20, choices=Verb.choices)
    target_type = models.CharField(max_length=20)
    target_id = models.BigIntegerField()
    target_repr = models.CharField(max_length=300)
    reason = models.CharField(max_length=500, blank=True)
    # For edits: {field: [before, after]}, so every moderator change can be undone from here.
    changes = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        who = self.moderator or "a deleted moderator"
        return f"{who} {self.get_verb_display().lower()} {self.target_type} {self.target_repr}"


# Following, notices, summary requests and the reading list (summaries/following.py,
# notices.py, summary_requests.py, reading_list.py). All of it is private to its user.


class FollowKind(models.TextChoices):
    PAPER = "paper", "paper"
    WRITER = "writer", "writer"
    VENUE = "venue", "venue"
    KEYWORD = "keyword", "keyword"
    SEARCH = "search", "saved search"


class Follow(models.Model):
    """`user` wants to hear about new summaries (and, for a paper, comments) on a target.

    `target` is the kind and the id in one indexed string ("paper:12", "search:graph neural
    networks"), which is what the fan-out looks followers up by."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    kind = models.CharField(max_length=10, choices=FollowKind.choices)
    target = models.CharField(max_length=250)
    paper = models.ForeignKey(Paper, null=True, blank=True, on_delete=models.CASCADE)
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followers",
    )
    venue = models.ForeignKey("papers.Venue", null=True, blank=True, on_delete=models.CASCADE)
    keyword = models.ForeignKey("papers.Keyword", null=True, blank=True, on_delete=models.CASCADE)
    query = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "target"], name="follow_once"),
        ]
        indexes = [models.Index(fields=["target", "user"], name="follow_target")]

    def __str__(self):
        return f"{self.user_id} follows {self.target}"


class NoticeKind(models.TextChoices):
    SUMMARY = "summary", "new summary"
    COMMENT = "comment", "new comment"
    REQUESTED = "requested", "a summary you asked for"


class Notice(models.Model):
    """One thing that happened, for one person: the in-site inbox, and what e-mails say."""

    class Email(models.TextChoices):
        PENDING = "pending", "waiting for a digest"
        SENT = "sent", "e-mailed"
        SKIPPED = "skipped", "not e-mailed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    # Why this person hears of it: a FollowKind, or "request".
    reason = models.CharField(max_length=10)
    # What happened, once per person: "summary:12", "comment:40".
    event = models.CharField(max_length=40)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    summary = models.ForeignKey(
        Summary, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=10, choices=Email.choices, default=Email.PENDING)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notice_once"),
        ]
        indexes = [
            models.Index(fields=["user", "-created"], name="notice_inbox"),
            # Only what waits for a digest: a small index that the fan-out barely touches.
            models.Index(
                fields=["user"], condition=Q(email="pending"), name="notice_pending_digest"
            ),
        ]

    def __str__(self):
        return f"{self.kind} for {self.user_id}: {self.event}"

    def get_reason_label(self):
        from .notices import REASON_LABELS

        return REASON_LABELS.get(self.reason, self.reason)


class NoticeSettings(models.Model):
    """How a person wants notices by e-mail; people without a row get INSTANT."""

    class Frequency(models.TextChoices):
        INSTANT = "instant", "at once, one e-mail each"
        DAILY = "daily", "a daily digest"
        WEEKLY = "weekly", "a weekly digest"
        NEVER = "never", "never (only on the site)"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notice_settings",
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default="instant")
    # Reasons (FollowKind values, "request") whose notices are never e-mailed.
    muted = models.JSONField(default=list, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"notice settings of {self.user_id}"


class SummaryRequest(models.Model):
    """`user` would like `paper` summarized; they hear when its first summary appears."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="summary_requests"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="summary_requests")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="request_once"),
        ]

    def __str__(self):
        return f"{self.user_id} asks for {self.paper_id}"


class SavedPaper(models.Model):
    """A paper on someone's private reading list."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_papers"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=1000, blank=True)
    is_read = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="saved_once"),
        ]

    def __str__(self):
        return f"{self.user_id} saved {self.paper_id}"
