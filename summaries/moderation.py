"""Moderation verbs. Each one is atomic, never deletes what a user wrote, and leaves a
ModerationAction saying who did what, when and why."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from papers import viewcounts
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
from .voting import recompute_reputation


def may_sanction(moderator, user):
    """Staff (superusers included) are banned, or have all their content hidden, only by a
    superuser; nobody sanctions themselves."""
    if moderator.pk == user.pk:
        return False
    return moderator.is_superuser or not (user.is_staff or user.is_superuser)


def _check_may_sanction(moderator, user):
    if not may_sanction(moderator, user):
        raise PermissionDenied(f"Only a superuser can ban staff ({user.username}).")


def _log(*, moderator, verb, target, reason="", changes=None):
    ModerationAction.objects.create(
        moderator=moderator,
        verb=verb,
        target_type=target._meta.model_name,
        target_id=target.pk,
        target_repr=str(target)[:300],
        reason=reason[:500],
        changes=changes or {},
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
        if content.author_id and not content.is_anonymous:
            recompute_reputation(user_ids=[content.author_id])
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
            if content.author_id and not content.is_anonymous:
                recompute_reputation(user_ids=[content.author_id])
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
    _check_may_sanction(moderator, user)
    user.banned_at = timezone.now()
    user.ban_reason = reason[:500]
    user.save(update_fields=["banned_at", "ban_reason"])
    _log(moderator=moderator, verb=ModerationAction.Verb.BAN, target=user, reason=reason)
    if hide_content:
        hide_all_content(user, moderator=moderator, reason=reason or "Author banned")


@transaction.atomic
def unban(user, *, moderator, reason=""):
    _check_may_sanction(moderator, user)
    user.banned_at = None
    user.ban_reason = ""
    user.save(update_fields=["banned_at", "ban_reason"])
    _log(moderator=moderator, verb=ModerationAction.Verb.UNBAN, target=user, reason=reason)


@transaction.atomic
def hide_all_content(user, *, moderator, reason):
    _check_may_sanction(moderator, user)
    for summary in Summary.objects.filter(author=user, state=ModerationState.PUBLISHED):
        hide(summary, moderator=moderator, reason=reason)
    for comment in Comment.objects.filter(author=user, state=ModerationState.PUBLISHED):
        hide(comment, moderator=moderator, reason=reason)


class MergeConflict(Exception):
    """Some writer summarized both papers, and their two summaries differ in who may read them
    or whose name they carry: folding one into the other would change that, so nothing merged."""

    def __init__(self, *, duplicate, writers):
        self.duplicate = duplicate
        self.writers = writers
        names = ", ".join(sorted(w.username for w in writers))
        super().__init__(
            f"Not merged: {duplicate.bibtex_key}. {names} summarized both papers, and the two "
            "summaries differ in being private, anonymous, hidden or deleted. They are kept "
            "apart; ask the writer to make them alike (or delete one) and merge again."
        )


def _audience(summary):
    """Who may read a summary and whose name it carries: a merge must keep this as it was."""
    return (
        summary.is_private,
        summary.is_anonymous,
        summary.state,
        summary.deleted_at is None,
        summary.is_private and bool(summary.share_token),
    )


@transaction.atomic
def merge_papers(*, keep, duplicate, moderator, reason=""):
    """Fold `duplicate` into `keep`: summaries, citations and votes move, the duplicate's key
    (and its aliases) become aliases of `keep`, and no text is lost. When one writer
    summarized both, the duplicate's text is kept as a revision of their summary of `keep`,
    which is only done when both summaries have the same audience and byline; otherwise
    MergeConflict is raised and nothing changes."""
    if keep.pk == duplicate.pk:
        raise ValueError("A paper cannot be merged into itself.")
    moved_ids = list(Summary.objects.filter(paper=duplicate).values_list("pk", flat=True))
    papers_changed([keep.pk, duplicate.pk])
    invalidation.summaries_changed(summary_ids=moved_ids, paper_ids=[keep.pk, duplicate.pk])
    # Locked, so that no writer changes a flag between this check and the fold.
    moving = list(
        Summary.objects.select_for_update(of=("self",))
        .filter(paper=duplicate)
        .select_related("author")
    )
    twins = {
        twin.author_id: twin
        for twin in Summary.objects.select_for_update().filter(
            paper=keep, author_id__in=[s.author_id for s in moving if s.author_id]
        )
    }
    conflicting = [
        s.author
        for s in moving
        if s.author_id in twins and _audience(s) != _audience(twins[s.author_id])
    ]
    if conflicting:
        raise MergeConflict(duplicate=duplicate, writers=conflicting)
    for summary in moving:
        twin = twins.get(summary.author_id) if summary.author_id else None
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
        if not twin.is_anonymous:
            recompute_reputation(user_ids=[twin.author_id])
    Citation.objects.filter(paper=duplicate).update(paper=keep)
    PaperAlias.objects.filter(paper=duplicate).update(paper=keep)
    viewcounts.move_views(source=duplicate, target=keep)
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


# What a moderator may change on a summary in the admin, and how the change reads in its history.
EDITABLE_SUMMARY_FIELDS = {"source": "text", "is_private": "private", "is_anonymous": "anonymous"}


def _set_by_a_moderator(summary, field):
    """True when `field` holds its value because a moderator turned it on (logged), and the
    writer has not saved the summary since: undoing that is a moderator's to do too."""
    last = (
        ModerationAction.objects.filter(
            verb=ModerationAction.Verb.EDIT,
            target_type="summary",
            target_id=summary.pk,
            changes__has_key=field,
        )
        .order_by("-created", "-pk")
        .first()
    )
    if last is None or last.changes[field] != [False, True]:
        return False
    return not summary.revisions.filter(
        editor_id=summary.author_id, created__gt=last.created
    ).exists()


def revealing_changes(summary, *, before, after):
    """The changes that would show a text to more people or put its writer's name on it: only
    the writer makes those (from their editor), unless they undo a moderator's own change."""
    refused = []
    for field, message in [
        ("is_private", "Only its writer can make a private summary public."),
        ("is_anonymous", "Only its writer can sign an anonymous summary with their name."),
    ]:
        if before[field] and not after[field] and not _set_by_a_moderator(summary, field):
            refused.append(message)
    return refused


@transaction.atomic
def record_moderator_edit(summary, *, moderator, before, reason=""):
    """After a moderator saved `summary` in the admin: a revision of what it holds now and a
    log entry with every changed field's old and new value, so the change is seen and undone."""
    changes = {
        field: [before[field], getattr(summary, field)]
        for field in EDITABLE_SUMMARY_FIELDS
        if before[field] != getattr(summary, field)
    }
    if not changes:
        return None
    flags = [
        f"{EDITABLE_SUMMARY_FIELDS[field]}: {'yes' if old else 'no'} → {'yes' if new else 'no'}"
        for field, (old, new) in changes.items()
        if field != "source"
    ]
    what = (["text"] if "source" in changes else []) + flags
    note = f"Moderator {moderator.username} changed {', '.join(what)}"
    summary.record_revision(moderator, note=note[:200])
    _log(
        moderator=moderator,
        verb=ModerationAction.Verb.EDIT,
        target=summary,
        reason=reason or note,
        changes=changes,
    )
    if summary.author_id and ("is_anonymous" in changes or not summary.is_anonymous):
        recompute_reputation(user_ids=[summary.author_id])
    return changes


def _plain(value):
    """A form value as JSON can keep it: related rows by primary key, dates as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple) or hasattr(value, "model"):  # lists and querysets
        return [_plain(item) for item in value]
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


@transaction.atomic
def record_admin_change(target, *, moderator, form):
    """A moderator's edit of a paper or venue in the admin: a log entry with each changed
    field's old and new value (inline rows are in Django's own admin history)."""
    pairs = {
        name: [_plain(form.initial.get(name)), _plain(form.cleaned_data.get(name))]
        for name in form.changed_data
    }
    changes = {name: pair for name, pair in pairs.items() if pair[0] != pair[1]}
    if changes:
        _log(
            moderator=moderator,
            verb=ModerationAction.Verb.EDIT,
            target=target,
            reason="Changed " + ", ".join(changes),
            changes=changes,
        )
