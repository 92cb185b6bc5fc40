"""A writer's own data to take away: summaries as CSV or JSON, their papers as BibTeX."""

import csv
import io
import json

from papers.bibtex import entry_to_bibtex
from summaries.models import Summary

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
    """The papers the user summarized: the original entry when we kept one, else one built
    from what we know about the paper."""
    from papers.models import Paper

    papers = (
        Paper.objects.for_listing()
        .filter(summaries__author=user, summaries__deleted_at__isnull=True)
        .distinct()
        .order_by("bibtex_key")
    )
    entries = []
    for paper in papers:
        if paper.bibtex.strip():
            entries.append(paper.bibtex.strip() + "\n")
            continue
        try:
            entries.append(
                entry_to_bibtex(
                    key=paper.bibtex_key, entry_type=paper.entry_type, fields=_fields(paper)
                )
            )
        except ValueError as error:
            entries.append(f"% {paper.bibtex_key}: {error}\n")
    return "\n".join(entries)


def _fields(paper):
    fields = {"title": paper.title}
    if paper.author_names:
        fields["author"] = " and ".join(paper.author_names)
    venue = paper.venue.name if paper.venue else paper.venue_name
    if venue:
        fields["booktitle" if paper.entry_type == "inproceedings" else "journal"] = venue
    if paper.year:
        fields["year"] = str(paper.year)
    if paper.doi:
        fields["doi"] = paper.doi
    if paper.arxiv_id:
        fields["eprint"] = paper.arxiv_id
        fields["archiveprefix"] = "arXiv"
    if paper.urls:
        fields["url"] = paper.urls[0]
    return fields
