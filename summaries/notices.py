"""Telling followers what happened: notices in the inbox, and e-mail at once or in digests.

The fan-out runs in the worker (summaries.tasks), in batches of BATCH_SIZE followers: each
batch is one transaction that inserts the notices, queues the instant e-mails through the
durable outbox and marks what waits for a digest. Notices are unique per (person, event), so a
repeated task adds nothing. An anonymous summary never reaches its writer's followers, and
no notice or e-mail names its writer: the byline is the summary's own, read when shown."""

import heapq

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import outbox
from accounts.models import User

from .models import (
    Comment,
    Follow,
    FollowKind,
    Notice,
    NoticeKind,
    NoticeSettings,
    Summary,
    SummaryRequest,
)

BATCH_SIZE = 1000
# A person who matches an event in several ways hears of it for the first of these reasons.
REASON_ORDER = ["request", "paper", "writer", "venue", "keyword", "search"]
REASON_LABELS = {
    "request": "summaries you asked for",
    "paper": "papers you follow",
    "writer": "writers you follow",
    "venue": "venues you follow",
    "keyword": "keywords you follow",
    "search": "searches you follow",
    "digest": "notice digests",
}
UNSUBSCRIBE_SALT = "summaries.notices.unsubscribe"
UNREAD_TTL = 600
DIGEST_MAX_ITEMS = 50
SAVED_SEARCHES_MAX = 2000


# Hooks for the write functions: the work itself is the worker's --------------------------


def summary_published(summary):
    """Call in the transaction that made `summary` public (the task commits with it)."""
    from .tasks import announce_summary as task

    task.enqueue(summary.pk)


def comment_posted(comment, *, already_emailed=()):
    from .tasks import announce_comment as task

    task.enqueue(comment.pk, list(already_emailed))


# Who hears of what ------------------------------------------------------------------------


def summary_targets(summary):
    """The follow targets a new public summary concerns, each with its reason."""
    from papers.search import search

    paper = summary.paper
    targets = {f"paper:{paper.pk}": "paper"}
    if summary.shows_author:
        targets[f"writer:{summary.author_id}"] = "writer"
    if paper.venue_id:
        targets[f"venue:{paper.venue_id}"] = "venue"
    for keyword_id in paper.keywords.values_list("pk", flat=True):
        targets[f"keyword:{keyword_id}"] = "keyword"
    queries = (
        Follow.objects.filter(kind=FollowKind.SEARCH)
        .order_by("query")
        .values_list("query", flat=True)
        .distinct()[:SAVED_SEARCHES_MAX]
    )
    for query in queries:
        if search(query).filter(pk=paper.pk).exists():
            targets[f"search:{query}"] = "search"
    return targets


def _followers(targets):
    rows = (
        Follow.objects.filter(target__in=list(targets))
        .order_by("user_id")
        .values_list("user_id", "target")
    )
    for user_id, target in rows.iterator(chunk_size=BATCH_SIZE):
        yield user_id, targets[target]


def _requesters(paper_id):
    rows = (
        SummaryRequest.objects.filter(paper_id=paper_id)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    for user_id in rows.iterator(chunk_size=BATCH_SIZE):
        yield user_id, "request"


def _batches(pairs, *, exclude):
    """(user id, reason) pairs sorted by user -> dicts of at most BATCH_SIZE users, each
    with their best reason."""
    batch = {}
    for user_id, reason in pairs:
        if user_id in exclude:
            continue
        if user_id in batch:
            if REASON_ORDER.index(reason) < REASON_ORDER.index(batch[user_id]):
                batch[user_id] = reason
            continue
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = {}
        batch[user_id] = reason
    if batch:
        yield batch


def announce_summary(summary_id):
    """Tell followers (and, for a paper's first summary, its requesters) of a new summary."""
    summary = Summary.objects.select_related("paper", "author").filter(pk=summary_id).first()
    if summary is None or not summary.is_public:
        return 0
    pairs = _followers(summary_targets(summary))
    is_first = not (
        Summary.objects.public().filter(paper_id=summary.paper_id).exclude(pk=summary.pk).exists()
    )
    if is_first:
        pairs = heapq.merge(pairs, _requesters(summary.paper_id), key=lambda pair: pair[0])
    return _fan_out(
        pairs,
        exclude={summary.author_id},
        event=f"summary:{summary.pk}",
        kind=NoticeKind.SUMMARY,
        paper=summary.paper,
        summary=summary,
    )


def announce_comment(comment_id, *, already_emailed=()):
    """Tell the paper's followers of a new comment (those mailed by commenting.py get no
    second e-mail)."""
    comment = (
        Comment.objects.select_related("summary__paper", "summary__author", "author")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None or not comment.is_public:
        return 0
    summary = comment.summary
    return _fan_out(
        _followers({f"paper:{summary.paper_id}": "paper"}),
        exclude={comment.author_id},
        event=f"comment:{comment.pk}",
        kind=NoticeKind.COMMENT,
        paper=summary.paper,
        summary=summary,
        comment=comment,
        no_email=set(already_emailed),
    )


def _fan_out(pairs, *, exclude, no_email=frozenset(), **event):
    created = 0
    for batch in _batches(pairs, exclude=exclude):
        created += _deliver_batch(batch, no_email=no_email, **event)
    return created


@transaction.atomic
def _deliver_batch(batch, *, event, kind, paper, summary=None, comment=None, no_email):
    """Notices for one batch of {user id: reason}, and the instant e-mails among them."""
    existing = set(
        Notice.objects.filter(event=event, user_id__in=list(batch)).values_list(
            "user_id", flat=True
        )
    )
    new = {user_id: reason for user_id, reason in batch.items() if user_id not in existing}
    if not new:
        return 0
    now = timezone.now()
    notices = {
        user_id: Notice(
            user_id=user_id,
            kind=kind,
            reason=reason,
            event=event,
            paper=paper,
            summary=summary,
            comment=comment,
            created=now,
        )
        for user_id, reason in new.items()
    }
    Notice.objects.bulk_create(notices.values(), ignore_conflicts=True)
    forget_unread_counts(new)

    instant, digest = [], []
    messages = []
    emails = _InstantEmails()
    for person in _mail_recipients(new):
        notice = notices[person.pk]
        if person.pk in no_email or notice.reason in _settings_of(person).muted:
            continue
        frequency = _settings_of(person).frequency
        if frequency == NoticeSettings.Frequency.INSTANT:
            instant.append(person.pk)
            messages.append(emails.for_person(person, notice))
        elif frequency in (NoticeSettings.Frequency.DAILY, NoticeSettings.Frequency.WEEKLY):
            digest.append(person.pk)
    these = Notice.objects.filter(event=event, user_id__in=list(new))
    these.filter(user_id__in=instant).update(email=Notice.Email.SENT)
    these.exclude(user_id__in=instant + digest).update(email=Notice.Email.SKIPPED)
    outbox.queue_many(messages)
    return len(new)


def _mail_recipients(user_ids):
    """Those who may get e-mail at all: active, not banned, with a confirmed address."""
    return (
        User.objects.filter(
            pk__in=list(user_ids),
            is_active=True,
            banned_at__isnull=True,
            email_confirmed=True,
        )
        .exclude(email="")
        .select_related("notice_settings")
        .only("pk", "username", "display_name", "email", "notice_settings")
    )


def _settings_of(person):
    try:
        return person.notice_settings
    except NoticeSettings.DoesNotExist:
        return NoticeSettings(user=person)


# E-mails ------------------------------------------------------------------------------------


def unsubscribe_token(user_id, reason):
    return signing.dumps([user_id, reason], salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token):
    """(user, reason) for a valid link, else None."""
    try:
        user_id, reason = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if reason not in REASON_LABELS:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    return (user, reason) if user else None


def unsubscribe_url(user_id, reason):
    return settings.SITE_URL + reverse(
        "following:unsubscribe", args=[unsubscribe_token(user_id, reason)]
    )


def _list_headers(link):
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def notice_link(notice):
    url = notice.paper.get_absolute_url()
    if notice.comment_id:
        return f"{settings.SITE_URL}{url}#comment-{notice.comment_id}"
    if notice.summary_id:
        return f"{settings.SITE_URL}{url}#{notice.summary.anchor}"
    return f"{settings.SITE_URL}{url}"


def notice_headline(notice):
    title = notice.paper.title[:120]
    if notice.kind == NoticeKind.COMMENT:
        return f"New comment on a summary of “{title}”"
    if notice.reason == "request":
        return f"“{title}”, which you asked for, has a summary"
    return f"New summary of “{title}”"


class _InstantEmails:
    """The e-mails of one event: the text is rendered once per reason, then each person's
    name and unsubscribe link are put in (10,000 renders would cost seconds)."""

    NAME, UNSUBSCRIBE = "\x00name\x00", "\x00unsubscribe\x00"

    def __init__(self):
        self.bodies = {}
        self.unsubscribe_prefix = settings.SITE_URL + reverse(
            "following:unsubscribe", args=["TOKEN"]
        ).replace("TOKEN/", "")

    def _body(self, notice):
        if notice.reason not in self.bodies:
            self.bodies[notice.reason] = render_to_string(
                "emails/notice.txt",
                {
                    "person": {"name": self.NAME},
                    "notice": notice,
                    "headline": notice_headline(notice),
                    "link": notice_link(notice),
                    "why": REASON_LABELS[notice.reason],
                    "unsubscribe": self.UNSUBSCRIBE,
                    "settings_url": settings.SITE_URL + reverse("following:settings"),
                },
            )
        return self.bodies[notice.reason]

    def for_person(self, person, notice):
        link = f"{self.unsubscribe_prefix}{unsubscribe_token(person.pk, notice.reason)}/"
        body = self._body(notice).replace(self.NAME, person.name).replace(self.UNSUBSCRIBE, link)
        return outbox.prepare(
            to=person.email,
            subject=notice_headline(notice),
            body=body,
            kind="notice",
            recipient=person,
            headers=_list_headers(link),
        )


def send_digests(frequency, *, now=None):
    """One e-mail per person on `frequency` with notices still waiting; returns how many."""
    now = now or timezone.now()
    waiting = Notice.objects.filter(
        email=Notice.Email.PENDING, user__notice_settings__frequency=frequency
    )
    user_ids = sorted(set(waiting.values_list("user_id", flat=True)))
    sent = 0
    for start in range(0, len(user_ids), 200):
        sent += _send_digest_batch(user_ids[start : start + 200], frequency, now)
    return sent


@transaction.atomic
def _send_digest_batch(user_ids, frequency, now):
    people = {person.pk: person for person in _mail_recipients(user_ids)}
    notices = (
        Notice.objects.filter(user_id__in=user_ids, email=Notice.Email.PENDING)
        .select_related("paper", "summary", "comment")
        .select_for_update(of=("self",))
        .order_by("user_id", "-created", "-pk")
    )
    grouped = {}
    for notice in notices:
        grouped.setdefault(notice.user_id, []).append(notice)
    messages = []
    for user_id, items in grouped.items():
        person = people.get(user_id)
        if person is None:
            continue
        shown = [n for n in items if n.reason not in _settings_of(person).muted]
        if not shown:
            continue
        link = unsubscribe_url(user_id, "digest")
        body = render_to_string(
            "emails/digest.txt",
            {
                "person": person,
                "frequency": frequency,
                "items": [
                    {"headline": notice_headline(n), "link": notice_link(n)}
                    for n in shown[:DIGEST_MAX_ITEMS]
                ],
                "more": max(len(shown) - DIGEST_MAX_ITEMS, 0),
                "inbox_url": settings.SITE_URL + reverse("following:inbox"),
                "settings_url": settings.SITE_URL + reverse("following:settings"),
                "unsubscribe": link,
            },
        )
        messages.append(
            outbox.prepare(
                to=person.email,
                subject=f"Your {frequency} ShortScience digest: {len(shown)} new",
                body=body,
                kind="digest",
                recipient=person,
                headers=_list_headers(link),
            )
        )
    all_ids = [n.pk for items in grouped.values() for n in items]
    mailed = {m.recipient_id for m in messages}
    Notice.objects.filter(pk__in=all_ids, user_id__in=mailed).update(email=Notice.Email.SENT)
    Notice.objects.filter(pk__in=all_ids).exclude(user_id__in=mailed).update(
        email=Notice.Email.SKIPPED
    )
    NoticeSettings.objects.filter(user_id__in=mailed).update(last_digest_at=now)
    outbox.queue_many(messages)
    return len(messages)


# The inbox ----------------------------------------------------------------------------------


def _unread_key(user_id):
    return f"notices:unread:{user_id}"


def forget_unread_counts(user_ids):
    cache.delete_many([_unread_key(user_id) for user_id in user_ids])


def inbox(user):
    """The notices `user` may still see: none whose summary went private, hidden or deleted,
    and none that came by following a writer whose summary has turned anonymous."""
    visible_summary = Q(summary__isnull=True) | Q(
        summary__state="published", summary__deleted_at__isnull=True, summary__is_private=False
    )
    visible_comment = Q(comment__isnull=True) | Q(
        comment__state="published", comment__deleted_at__isnull=True
    )
    return (
        Notice.objects.filter(user=user)
        .filter(visible_summary, visible_comment)
        .exclude(reason="writer", summary__is_anonymous=True)
        .select_related("paper", "summary__author", "comment__author")
        .order_by("-created", "-pk")
    )


def context(request):
    """Template context: the header's unread count, counted only when a page shows it."""
    return {"unread_notice_count": lambda: unread_count(request.user)}


def unread_count(user):
    if not user.is_authenticated:
        return 0
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = inbox(user).filter(read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return count


@transaction.atomic
def mark_read(*, user, notice_ids=None):
    notices = Notice.objects.filter(user=user, read_at__isnull=True)
    if notice_ids is not None:
        notices = notices.filter(pk__in=list(notice_ids))
    changed = notices.update(read_at=timezone.now())
    forget_unread_counts([user.pk])
    transaction.on_commit(lambda: forget_unread_counts([user.pk]))  # and any count read meanwhile
    return changed


@transaction.atomic
def save_settings(*, user, frequency, muted):
    NoticeSettings.objects.update_or_create(
        user=user, defaults={"frequency": frequency, "muted": sorted(set(muted))}
    )


@transaction.atomic
def unsubscribe(*, user, reason):
    current, _ = NoticeSettings.objects.get_or_create(user=user)
    if reason == "digest":
        current.frequency = NoticeSettings.Frequency.NEVER
    elif reason not in current.muted:
        current.muted = sorted({*current.muted, reason})
    current.save()
