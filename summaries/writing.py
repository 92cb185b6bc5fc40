"""Saving, deleting and restoring summaries: every write keeps a revision and none overwrites
text its writer has not seen."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from . import notices
from .models import Revision, Summary
from .voting import recompute_reputation


class EditConflict(Exception):
    """The summary changed after the editor was opened; `current` is what it holds now."""

    def __init__(self, *, current, attempted_source):
        super().__init__("The summary changed since this edit started.")
        self.current = current
        self.attempted_source = attempted_source


@transaction.atomic
def save_summary(*, paper, author, source, is_private, is_anonymous, base_revision_id):
    """Create or update `author`'s summary of `paper` and keep a revision of the new text.

    `base_revision_id` is the revision the editor started from (None for a new summary). If the
    summary has another revision by now, nothing is saved and EditConflict is raised."""
    summary = Summary.objects.select_for_update().filter(paper=paper, author=author).first()
    was_signed = summary is not None and not summary.is_anonymous
    if summary is None:
        summary = Summary(
            paper=paper,
            author=author,
            source=source,
            is_private=is_private,
            is_anonymous=is_anonymous,
        )
        try:
            with transaction.atomic():
                summary.save()
        except IntegrityError:
            # Another tab created it between our read and our insert.
            current = Summary.objects.get(paper=paper, author=author)
            raise EditConflict(current=current, attempted_source=source) from None
        summary.record_revision(author)
        was_public = False
    else:
        if summary.current_revision_id() != base_revision_id:
            raise EditConflict(current=summary, attempted_source=source)
        was_public = summary.is_public
        summary.source = source
        summary.is_private = is_private
        summary.is_anonymous = is_anonymous
        summary.edited = timezone.now()
        summary.deleted_at = None  # writing again brings a deleted summary back
        summary.save()
        summary.record_revision(author)
    if was_signed or not summary.is_anonymous:
        # Saving an anonymous summary moves none of its writer's numbers.
        recompute_reputation(user_ids=[author.pk])
    if summary.is_public and not was_public:
        notices.summary_published(summary)
    return summary


@transaction.atomic
def restore_revision(*, summary, revision, editor):
    """Make an old revision's text current again, as a new revision (history only grows)."""
    if revision.summary_id != summary.pk:
        raise ValueError("That revision belongs to another summary.")
    summary.source = revision.source
    summary.edited = timezone.now()
    summary.save()
    when = date_format(timezone.localtime(revision.created), "DATETIME_FORMAT")
    return summary.record_revision(editor, note=f"Restored the revision of {when}")


@transaction.atomic
def delete_summary(*, summary):
    """Soft delete: gone from every page, kept with its history for its writer to restore."""
    summary.deleted_at = timezone.now()
    summary.save(update_fields=["deleted_at"])
    _after_visibility_change(summary)


@transaction.atomic
def undelete_summary(*, summary, by):
    summary.deleted_at = None
    summary.save(update_fields=["deleted_at"])
    Revision.objects.create(summary=summary, source=summary.source, editor=by, note="Restored")
    _after_visibility_change(summary)


def _after_visibility_change(summary):
    # Summary.save() already recounted the public counters; reputation depends on them too.
    if summary.author_id and not summary.is_anonymous:
        recompute_reputation(user_ids=[summary.author_id])


@transaction.atomic
def set_share_link(*, summary, enabled):
    """Create a fresh unguessable share token, or revoke the current one (its link then 404s)."""
    if enabled:
        summary.new_share_token()
    else:
        summary.share_token = None
    Summary.objects.filter(pk=summary.pk).update(share_token=summary.share_token)
    return summary.share_token
