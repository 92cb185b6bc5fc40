"""A person's own data to take away: summaries as CSV or JSON, their papers as BibTeX, and
everything (settings, summaries with every revision, comments, votes, reports, follows) as one
JSON file."""

import csv
import io
import json

from django.apps import apps
from django.conf import settings

from .models import Comment, Report, Revision, Summary, Vote

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


def _when(value):
    return value.isoformat() if value else None


SETTINGS_FIELDS = [
    "username",
    "email",
    "display_name",
    "bio",
    "orcid",
    "email_on_comments",
    "email_confirmed",
]


def account_settings(user):
    data = {name: getattr(user, name) for name in SETTINGS_FIELDS}
    data["date_joined"] = _when(user.date_joined)
    return data


def summaries_with_revisions(user):
    """Every summary with every saved version, oldest first; who made each one (the writer or a
    moderator) but never which moderator."""
    revisions = {}
    for revision in Revision.objects.filter(summary__author=user).order_by("pk"):
        revisions.setdefault(revision.summary_id, []).append(
            {
                "source": revision.source,
                "created": _when(revision.created),
                "by": "you" if revision.editor_id == user.pk else "a moderator",
                "note": revision.note,
            }
        )
    summaries = Summary.objects.filter(author=user).select_related("paper").order_by("pk")
    return [
        {**row, "revisions": revisions.get(summary.pk, [])}
        for summary, row in zip(summaries, summary_rows(user), strict=True)
    ]


def comment_rows(user):
    comments = Comment.objects.filter(author=user).select_related("summary__paper").order_by("pk")
    return [
        {
            "paper_key": comment.summary.paper.bibtex_key,
            "summary_id": comment.summary_id,
            "source": comment.source,
            "state": comment.state,
            "created": _when(comment.created),
            "edited": _when(comment.edited),
            "deleted": _when(comment.deleted_at),
        }
        for comment in comments
    ]


def vote_rows(user):
    votes = Vote.objects.filter(user=user).select_related("summary__paper").order_by("pk")
    return [
        {
            "paper_key": vote.summary.paper.bibtex_key,
            "summary_id": vote.summary_id,
            "value": vote.value,
            "created": _when(vote.created),
        }
        for vote in votes
    ]


def report_rows(user):
    reports = Report.objects.filter(reporter=user).select_related(
        "summary__paper", "comment__summary__paper"
    )
    rows = []
    for report in reports.order_by("pk"):
        summary = report.summary or report.comment.summary
        rows.append(
            {
                "about": "summary" if report.summary_id else "comment",
                "paper_key": summary.paper.bibtex_key,
                "summary_id": summary.pk,
                "comment_id": report.comment_id,
                "reason": report.reason,
                "text": report.text,
                "created": _when(report.created),
                "resolved": _when(report.resolved_at),
            }
        )
    return rows


def follow_rows(user):
    """Rows of any Follow model an app defines (what is followed, since when), by its fields."""
    rows = []
    for model in apps.get_models():
        if model.__name__ != "Follow":
            continue
        owner_fields = [
            field.name
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is apps.get_model(settings.AUTH_USER_MODEL)
        ]
        for owner in owner_fields[:1]:
            for follow in model.objects.filter(**{owner: user}).order_by("pk"):
                row = {}
                for field in model._meta.concrete_fields:
                    if field.name in (owner, "id"):
                        continue
                    value = getattr(follow, field.attname)
                    row[field.name] = _when(value) if hasattr(value, "isoformat") else value
                rows.append(row)
    return rows


def everything_as_json(user):
    return json.dumps(
        {
            "settings": account_settings(user),
            "summaries": summaries_with_revisions(user),
            "comments": comment_rows(user),
            "votes": vote_rows(user),
            "reports": report_rows(user),
            "follows": follow_rows(user),
        },
        indent=2,
        ensure_ascii=False,
        default=str,
    )
