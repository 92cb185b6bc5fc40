"""The reading list: papers saved for later, with a note and a read/unread state. Private."""

from django.db import transaction

from papers.importing import apply_import, plan_import, quiet_bibtexparser
from papers.models import Paper

from .models import SavedPaper

MAX_SAVED = 5000
MAX_IMPORT_ENTRIES = 1000

SORTS = {
    "added": ("-created", "-pk"),
    "title": ("paper__title", "pk"),
    "year": ("-paper__year", "paper__title", "pk"),
    "unread": ("is_read", "-created", "-pk"),
}


class ReadingListFull(ValueError):
    pass


def saved_list(user, sort="added"):
    return (
        SavedPaper.objects.filter(user=user)
        .select_related("paper__venue")
        .order_by(*SORTS.get(sort, SORTS["added"]))
    )


@transaction.atomic
def save_paper(*, user, paper, note=""):
    if SavedPaper.objects.filter(user=user).count() >= MAX_SAVED:
        raise ReadingListFull(f"Your reading list holds at most {MAX_SAVED} papers.")
    saved, _ = SavedPaper.objects.get_or_create(user=user, paper=paper, defaults={"note": note})
    return saved


@transaction.atomic
def unsave_paper(*, user, paper):
    return SavedPaper.objects.filter(user=user, paper=paper).delete()[0] > 0


@transaction.atomic
def update_saved(*, saved, note, is_read):
    saved.note = note
    saved.is_read = is_read
    saved.save(update_fields=["note", "is_read"])
    return saved


class ImportProblem(ValueError):
    def __init__(self, message, plan=None):
        super().__init__(message)
        self.plan = plan


@transaction.atomic
def import_bibtex(*, user, text):
    """Save every paper of a .bib file, adding unknown ones as the add page does (same rules:
    known keys, DOIs, arXiv ids and titles match existing papers). All or nothing."""
    from papers import bibtex

    quiet_bibtexparser()
    plan = plan_import(bibtex.parse_bibtex(text))
    if not plan.items:
        raise ImportProblem("No BibTeX entries were found in that file.")
    if len(plan.items) > MAX_IMPORT_ENTRIES:
        raise ImportProblem(f"Import at most {MAX_IMPORT_ENTRIES} entries at a time.")
    if plan.has_errors:
        raise ImportProblem("Some entries have errors; nothing was saved.", plan)
    if plan.changes_anything:
        apply_import(plan, source="BibTeX import", user=user)
    keys = {item.paper_key or item.key for item in plan.items}
    papers = list(Paper.objects.filter(bibtex_key__in=keys))
    already = set(
        SavedPaper.objects.filter(user=user, paper__in=papers).values_list("paper_id", flat=True)
    )
    new = [paper for paper in papers if paper.pk not in already]
    if SavedPaper.objects.filter(user=user).count() + len(new) > MAX_SAVED:
        raise ImportProblem(f"Your reading list holds at most {MAX_SAVED} papers.")
    SavedPaper.objects.bulk_create(
        [SavedPaper(user=user, paper=paper) for paper in new], ignore_conflicts=True
    )
    return {"saved": len(new), "already": len(already), "plan": plan}
