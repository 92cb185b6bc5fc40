"""Moderation verbs. Each one is atomic, never deletes what a user wrote, and leaves a
ModerationAction saying who did what, when and why."""

from django.db import transaction
from django.utils import timezone

from papers.invalidation import papers_changed
from papers.models import PaperAlias

from . import invalidation
from .models import (
    Citation,
    Comment,
    ModerationAction,
    ModerationState,
    Report,
    Revision,
    Summary,
    Vote,
    refresh_public_counts,
)


def _log(*, moderator, verb, target, reason=""):
    ModerationAction.objects.create(
        moderator=moderator,
        verb=verb,
        target_type=target._meta.model_name,
        target_id=target.pk,
        target_repr=str(target)[:300],
        reason=reason[:500],
    )


def _resolve_reports(target, *, moderator, resolution):
    field = "summary" if isinstance(target, Summary) else "comment"
    Report.objects.filter(**{field: target}, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=moderator, resolution=resolution[:200]
    )


def _set_state(content, *, state, reason):
    content.state = state
    content.moderation_reason = reason[:500] if state != ModerationState.PUBLISHED else ""
    if isinstance(content, Summary):
        # A state change must not re-render: update the columns and recount.
        Summary.objects.filter(pk=content.pk).update(
            state=content.state, moderation_reason=content.moderation_reason
        )
        refresh_public_counts(paper_id=content.paper_id, author_id=content.author_id)
        invalidation.summaries_changed(summary_ids=[content.pk])
    else:
        Comment.objects.filter(pk=content.pk).update(
            state=content.state, moderation_reason=content.moderation_reason
        )
        refresh_comment_count(content.summary_id)


def refresh_comment_count(summary_id):
    Summary.objects.filter(pk=summary_id).update(
        comment_count=Comment.objects.public().filter(summary_id=summary_id).count()
    )
    invalidation.summaries_changed(summary_ids=[summary_id])


@transaction.atomic
def hide(content, *, moderator, reason, spam=False):
    """Take a summary or comment off every public surface; its author still sees it."""
    verb = ModerationAction.Verb.SPAM if spam else ModerationAction.Verb.HIDE
    state = ModerationState.SPAM if spam else ModerationState.HIDDEN
    _set_state(content, state=state, reason=reason or state.label)
    _resolve_reports(content, moderator=moderator, resolution=f"{verb.label}: {reason}")
    _log(moderator=moderator, verb=verb, target=content, reason=reason)


@transaction.atomic
def restore(content, *, moderator, reason=""):
    """Publish hidden or spam content again and undo an author's soft delete."""
    _set_state(content, state=ModerationState.PUBLISHED, reason="")
    if content.deleted_at is not None:
        content.deleted_at = None
        type(content).objects.filter(pk=content.pk).update(deleted_at=None)
        if isinstance(content, Summary):
            refresh_public_counts(paper_id=content.paper_id, author_id=content.author_id)
            invalidation.summaries_changed(summary_ids=[content.pk])
        else:
            refresh_comment_count(content.summary_id)
    _log(moderator=moderator, verb=ModerationAction.Verb.RESTORE, target=content, reason=reason)


@transaction.atomic
def dismiss_report(report, *, moderator, reason=""):
    report.resolved_at = timezone.now()
    report.resolved_by = moderator
    report.resolution = ("Dismissed: " + reason)[:200] if reason else "Dismissed"
    report.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    _log(moderator=moderator, verb=ModerationAction.Verb.DISMISS, target=report, reason=reason)


@transaction.atomic
def ban(user, *, moderator, reason, hide_content=False):
    """Suspend an account: it cannot log in, and its sessions end at the next request."""
    user.banned_at = timezone.now()
    user.ban_reason = reason[:500]
    user.save(update_fields=["banned_at", "ban_reason"])
    _log(moderator=moderator, verb=ModerationAction.Verb.BAN, target=user, reason=reason)
    if hide_content:
        hide_all_content(user, moderator=moderator, reason=reason or "Author banned")


@transaction.atomic
def unban(user, *, moderator, reason=""):
    user.banned_at = None
    user.ban_reason = ""
    user.save(update_fields=["banned_at", "ban_reason"])
    _log(moderator=moderator, verb=ModerationAction.Verb.UNBAN, target=user, reason=reason)


@transaction.atomic
def hide_all_content(user, *, moderator, reason):
    for summary in Summary.objects.filter(author=user, state=ModerationState.PUBLISHED):
        hide(summary, moderator=moderator, reason=reason)
    for comment in Comment.objects.filter(author=user, state=ModerationState.PUBLISHED):
        hide(comment, moderator=moderator, reason=reason)


@transaction.atomic
def merge_papers(*, keep, duplicate, moderator, reason=""):
    """Fold `duplicate` into `keep`: summaries, citations and votes move, the duplicate's key
    (and its aliases) become aliases of `keep`, and no text is lost. When one writer
    summarized both, the duplicate's text is kept as a revision of their summary of `keep`."""
    if keep.pk == duplicate.pk:
        raise ValueError("A paper cannot be merged into itself.")
    moved_ids = list(Summary.objects.filter(paper=duplicate).values_list("pk", flat=True))
    papers_changed([keep.pk, duplicate.pk])
    invalidation.summaries_changed(summary_ids=moved_ids, paper_ids=[keep.pk, duplicate.pk])
    for summary in Summary.objects.filter(paper=duplicate).select_related("author"):
        twin = (
            Summary.objects.filter(paper=keep, author=summary.author).first()
            if summary.author_id
            else None
        )
        if twin is None:
            Summary.objects.filter(pk=summary.pk).update(paper=keep)
            continue
        # Keep both texts: the duplicate's history and text become revisions of the twin.
        Revision.objects.filter(summary=summary).update(summary=twin)
        Revision.objects.create(
            summary=twin,
            source=summary.source,
            editor=moderator,
            note=f"Text of the summary of {duplicate.bibtex_key}, kept when the papers merged",
        )
        for vote in Vote.objects.filter(summary=summary):
            if not Vote.objects.filter(summary=twin, user=vote.user_id).exists():
                Vote.objects.filter(pk=vote.pk).update(summary=twin)
        Comment.objects.filter(summary=summary).update(summary=twin)
        Report.objects.filter(summary=summary).update(summary=twin)
        Summary.objects.filter(pk=twin.pk).update(
            score=sum(Vote.objects.filter(summary=twin).values_list("value", flat=True))
        )
        refresh_comment_count(twin.pk)
        summary.delete()
        refresh_public_counts(paper_id=keep.pk, author_id=twin.author_id)
    Citation.objects.filter(paper=duplicate).update(paper=keep)
    PaperAlias.objects.filter(paper=duplicate).update(paper=keep)
    old_key = duplicate.bibtex_key
    _log(
        moderator=moderator,
        verb=ModerationAction.Verb.MERGE,
        target=duplicate,
        reason=f"into {keep.bibtex_key}" + (f": {reason}" if reason else ""),
    )
    duplicate.delete()
    PaperAlias.objects.create(key=old_key, paper=keep)
    refresh_public_counts(paper_id=keep.pk, author_id=None)
    invalidation.summaries_changed(summary_ids=moved_ids, paper_ids=[keep.pk])


def log_edit(summary, *, moderator):
    _log(moderator=moderator, verb=ModerationAction.Verb.EDIT, target=summary)
