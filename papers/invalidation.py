"""Which cached pages a change to papers ends (see shortscience/pagecache.py).

A paper is shown on its own page and, once it has summaries, wherever they are listed: its
venue's and year's pages, the site-wide listings and its writers' profiles. A new paper is
shown nowhere yet, so adding one ends nothing.
"""

from shortscience import pagecache
from shortscience.pagecache import tag


def venue_changed(venue_id):
    """A venue's own name, key or description changed: its pages and the venues list."""
    pagecache.changed(tag("venue", venue_id), pagecache.SITE_LISTINGS)


def paper_tags(paper_ids):
    """The tags of these papers' pages and of the venue and year pages that list them."""
    from .models import Paper

    paper_ids = sorted({pk for pk in paper_ids if pk})
    tags = {tag("paper", pk) for pk in paper_ids}
    for venue_id, year in (
        Paper.objects.filter(pk__in=paper_ids).values_list("venue_id", "year").distinct()
    ):
        if venue_id:
            tags.add(tag("venue", venue_id))
        if year:
            tags.add(tag("year", year))
    return tags


def papers_changed(paper_ids):
    """These papers' metadata (title, authors, venue, keywords, key) changed."""
    from .models import Paper

    paper_ids = [pk for pk in paper_ids if pk]
    if not paper_ids or not pagecache.enabled():
        return
    writers = (
        Paper.objects.filter(pk__in=paper_ids, summaries__author__isnull=False)
        .values_list("summaries__author_id", flat=True)
        .distinct()
    )
    listed = Paper.objects.filter(pk__in=paper_ids, public_summary_count__gt=0)
    listed_ids = list(listed.values_list("pk", flat=True))
    # Only papers with public summaries are listed anywhere; the others have their own page.
    pagecache.changed(
        pagecache.SEARCH,
        *(tag("paper", pk) for pk in paper_ids),
        *((pagecache.SITE_LISTINGS, *paper_tags(listed_ids)) if listed_ids else ()),
        *(tag("user", pk) for pk in writers),
    )
