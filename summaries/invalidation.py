"""Which cached pages a change to summaries ends (see shortscience/pagecache.py).

The write functions call these inside their transaction; the pages end once it commits.
A summary is shown on its paper's page, its writer's profile, its venue's and year's pages,
the site-wide listings (home tabs, latest and top feeds, keyword and author pages), and in
the "cited by" part of the pages of the papers it cites. Anything else keeps its pages.
"""

from django.db.models import Q

from papers.invalidation import paper_tags
from shortscience import pagecache
from shortscience.pagecache import tag


def summaries_changed(*, summary_ids=(), paper_ids=(), author_ids=()):
    """The summaries `summary_ids` changed (text, score, comments, visibility, byline), or
    summaries of `paper_ids` or by `author_ids` that no longer exist."""
    from .models import Citation, Summary

    if not pagecache.enabled():
        return
    summary_ids = [pk for pk in summary_ids if pk]
    paper_ids = {pk for pk in paper_ids if pk}
    author_ids = {pk for pk in author_ids if pk}
    if summary_ids:
        for paper_id, author_id in Summary.objects.filter(pk__in=summary_ids).values_list(
            "paper_id", "author_id"
        ):
            paper_ids.add(paper_id)
            author_ids.add(author_id)
        cited = Citation.objects.filter(summary_id__in=summary_ids, paper__isnull=False)
        papers_shown_changed(cited.values_list("paper_id", flat=True))
    pagecache.changed(
        pagecache.SITE_LISTINGS,
        *paper_tags(paper_ids),
        *(tag("user", pk) for pk in author_ids if pk),
    )


def papers_shown_changed(paper_ids):
    """Only the pages of these papers show what changed (their "cited by")."""
    pagecache.changed(*(tag("paper", pk) for pk in paper_ids if pk))


def writers_changed(*, user_ids):
    """Writers' names or reputations changed: their profiles, and every page showing a
    summary of theirs or a comment by them."""
    from .models import Summary

    user_ids = [pk for pk in user_ids if pk]
    if not user_ids or not pagecache.enabled():
        return
    shown = Summary.objects.filter(Q(author_id__in=user_ids) | Q(comments__author_id__in=user_ids))
    summaries_changed(
        summary_ids=list(shown.values_list("pk", flat=True).distinct()), author_ids=user_ids
    )


def everything_changed():
    """After a restore or a demo load: every listing, venue and year page may show more."""
    from papers.models import Paper, Venue

    years = Paper.objects.filter(year__isnull=False).values_list("year", flat=True).distinct()
    pagecache.changed(
        pagecache.SITE_LISTINGS,
        pagecache.SEARCH,
        *(tag("venue", pk) for pk in Venue.objects.values_list("pk", flat=True)),
        *(tag("year", year) for year in years),
    )
