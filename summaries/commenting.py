"""Posting and deleting comments, and telling the people in the conversation about new ones."""

import logging

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import outbox
from accounts.tokens import unsubscribe_url
from shortscience.links import absolute_url

from . import notices
from .models import Comment
from .moderation import refresh_comment_count

logger = logging.getLogger(__name__)


@transaction.atomic
def post_comment(*, summary, author, source):
    comment = Comment.objects.create(summary=summary, author=author, source=source)
    refresh_comment_count(summary.pk)
    transaction.on_commit(lambda: _notify_safely(comment))
    return comment


@transaction.atomic
def delete_comment(*, comment):
    """Soft delete by its author: the text leaves the page, the count goes down."""
    comment.deleted_at = timezone.now()
    comment.save(update_fields=["deleted_at"])
    refresh_comment_count(comment.summary_id)


def _notify_safely(comment):
    # The comment is saved whatever happens here; the queue retries while the server is down.
    try:
        mailed = notify_about_comment(comment)
        notices.comment_posted(comment, already_emailed=mailed)
    except Exception:
        logger.exception("Could not send the notices for comment %s", comment.pk)


def comment_recipients(comment):
    """The summary's writer and earlier commenters who want these e-mails, never the commenter."""
    from accounts.models import User

    earlier = Comment.objects.public().filter(summary_id=comment.summary_id, pk__lt=comment.pk)
    candidate_ids = set(earlier.values_list("author_id", flat=True))
    candidate_ids.add(comment.summary.author_id)
    candidate_ids.discard(comment.author_id)
    candidate_ids.discard(None)
    return list(
        User.objects.filter(
            pk__in=candidate_ids,
            is_active=True,
            banned_at__isnull=True,
            email_on_comments=True,
            email_confirmed=True,
        )
        .exclude(email="")
        .order_by("pk")
    )


def notify_about_comment(comment):
    """One e-mail per person (never a shared To: line, which could unmask an anonymous writer)."""
    summary = comment.summary
    link = absolute_url(f"{summary.paper.get_absolute_url()}#comment-{comment.pk}")
    messages = []
    for person in comment_recipients(comment):
        body = render_to_string(
            "emails/new_comment.txt",
            {
                "person": person,
                "comment": comment,
                "summary": summary,
                "is_your_summary": person.pk == summary.author_id,
                "link": link,
                "unsubscribe": unsubscribe_url(person),
            },
        )
        message = outbox.prepare(
            to=person.email,
            subject=f"New comment on the summary of “{summary.paper.title[:80]}”",
            body=body,
            kind="comment",
            recipient=person,
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url(person)}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        messages.append(message)
    outbox.queue_many(messages)
    return [message.recipient_id for message in messages]
