"""The home page's "Popular today": summaries by how often their paper was read today
(papers.viewcounts), then by popularity (score with time decay).

A sequence the paginator pages through rather than one ordered query: sorting every public
summary by a join with today's views cost 100 ms or more on the benchmark data, while the papers
read today come in order from the (day, views) index and the rest from the popular index, so a
page costs a few index scans, whatever the number of summaries.
"""

import datetime
from functools import cached_property

from django.conf import settings
from django.db.models import F

# Long columns that no card shows (as summaries.cards leaves out for querysets).
UNSHOWN = ("source", "paper__abstract", "paper__bibtex")


class PopularToday:
    def __init__(self, summaries, *, day=None):
        """`summaries`: the public summaries to order (narrowed to a section, with votes)."""
        day = day or datetime.datetime.now(datetime.UTC).date()
        self._all = summaries
        self._read = (
            summaries.filter(paper__view_days__day=day)
            .annotate(views_today=F("paper__view_days__views"))
            .order_by("-views_today", "-hotness", "-pk")
        )
        self._rest = summaries.exclude(paper__view_days__day=day).order_by("-hotness", "-pk")

    def count(self):
        return self._all.count()

    @cached_property
    def read_today(self):
        return self._read.count()

    @staticmethod
    def _cards(queryset):
        # As summaries.cards loads a queryset: its text only when its card is not cached.
        unshown = (*UNSHOWN, "html") if settings.PAGE_CACHE_SECONDS else UNSHOWN
        return queryset.select_related("author", "paper__venue").defer(*unshown)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        found = list(self._cards(self._read)[start:stop])
        if stop is not None and len(found) == stop - start:
            return found  # the common case, the first pages: no count of the papers read
        # The papers read today end in this slice (their number is known) or before it.
        read_today = start + len(found) if found or start == 0 else self.read_today
        rest_stop = None if stop is None else stop - read_today
        found += list(self._cards(self._rest)[max(start - read_today, 0) : rest_stop])
        return found
