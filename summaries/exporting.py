"""A writer's own data to take away: summaries as CSV or JSON, their papers as BibTeX."""

import csv
import io
import json

from .models import Summary

SUMMARY_FIELDS = [
    "paper_key",
    "paper_title",
    "source",
    "is_private",
    "is_anonymous",
    "state",
    "created",
    "edited",
    "deleted",
]


def summary_rows(user):
    """Every summary the user wrote, deleted ones included (they are still theirs)."""
    summaries = Summary.objects.filter(author=user).select_related("paper").order_by("pk")
    for summary in summaries:
        yield {
            "paper_key": summary.paper.bibtex_key,
            "paper_title": summary.paper.title,
            "source": summary.source,
            "is_private": summary.is_private,
            "is_anonymous": summary.is_anonymous,
            "state": summary.state,
            "created": summary.created.isoformat(),
            "edited": summary.edited.isoformat(),
            "deleted": summary.deleted_at.isoformat() if summary.deleted_at else None,
        }


def summaries_as_csv(user):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SUMMARY_FIELDS)
    writer.writeheader()
    writer.writerows(summary_rows(user))
    return out.getvalue()


def summaries_as_json(user):
    return json.dumps(
        {"user": user.username, "summaries": list(summary_rows(user))},
        indent=2,
        ensure_ascii=False,
    )


def papers_as_bibtex(user):
    """The papers the user summarized, exported like every other BibTeX download: the
    original entry when it still reads back faithfully, else one built from the paper."""
    from papers.bibtex_export import bibtex_for_papers
    from papers.models import Paper

    papers = (
        Paper.objects.filter(summaries__author=user, summaries__deleted_at__isnull=True)
        .distinct()
        .order_by("bibtex_key")
    )
    return bibtex_for_papers(papers)
