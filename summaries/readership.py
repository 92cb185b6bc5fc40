"""How often the papers a writer summarized were read: totals per paper and a day-by-day chart
of the last 90 days, for the writer's own settings page. The chart is SVG drawn here, with a
<title> per day for its number: no script, nothing from another site."""

import datetime
from dataclasses import dataclass

from django.db.models import Sum
from django.utils.html import format_html, format_html_join

from papers.models import PaperViewDay

from .models import Summary

DAYS = 90
WIDTH, HEIGHT, BAR_GAP = 540, 120, 1
AXIS = 28  # room on the left for the scale
BAR = '<rect x="{}" y="{}" width="{}" height="{}" fill="currentColor"><title>{}</title></rect>'


@dataclass
class PaperReadership:
    paper: object
    recent_views: int


@dataclass
class Readership:
    papers: list
    daily: list  # (day, views), oldest first, one per day of the period
    start: datetime.date
    end: datetime.date

    @property
    def recent_total(self):
        return sum(views for _, views in self.daily)

    @property
    def all_time_total(self):
        return sum(row.paper.view_count for row in self.papers)

    def chart(self):
        return chart_svg(self.daily)


def readership(user, *, today=None):
    """The views of the papers of `user`'s summaries (deleted ones left out), in three queries."""
    end = today or datetime.datetime.now(datetime.UTC).date()
    start = end - datetime.timedelta(days=DAYS - 1)
    summaries = (
        Summary.objects.filter(author=user, deleted_at__isnull=True)
        .select_related("paper")
        .only("paper__bibtex_key", "paper__title", "paper__view_count")
    )
    papers = {s.paper_id: s.paper for s in summaries}
    recent = PaperViewDay.objects.filter(paper__in=list(papers), day__gte=start, day__lte=end)
    per_paper = dict(recent.values("paper").annotate(n=Sum("views")).values_list("paper", "n"))
    per_day = dict(recent.values("day").annotate(n=Sum("views")).values_list("day", "n"))
    rows = [PaperReadership(paper, per_paper.get(pk, 0)) for pk, paper in papers.items()]
    rows.sort(key=lambda row: (-row.recent_views, -row.paper.view_count, row.paper.title))
    daily = [
        (day, per_day.get(day, 0))
        for day in (start + datetime.timedelta(days=n) for n in range(DAYS))
    ]
    return Readership(papers=rows, daily=daily, start=start, end=end)


def chart_svg(daily):
    """A bar chart of (day, views) pairs as inline SVG."""
    top = max((views for _, views in daily), default=0) or 1
    slot = (WIDTH - AXIS) / max(len(daily), 1)
    bars = []
    for index, (day, views) in enumerate(daily):
        height = round(views / top * (HEIGHT - 16), 1)
        bars.append(
            (
                round(AXIS + index * slot, 2),
                round(HEIGHT - 12 - height, 1),
                round(max(slot - BAR_GAP, 1), 2),
                height,
                f"{day:%Y-%m-%d}: {views} view{'' if views == 1 else 's'}",
            )
        )
    total = sum(views for _, views in daily)
    first = daily[0][0] if daily else None
    last = daily[-1][0] if daily else None
    return format_html(
        '<svg class="views-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        'width="100%" role="img" aria-label="{label}"><title>{label}</title>'
        '<line x1="{axis}" y1="{base}" x2="{w}" y2="{base}" stroke="currentColor" '
        'stroke-opacity="0.4"/>'
        '<text x="{left}" y="10" font-size="9" fill="currentColor">{top}</text>'
        '<text x="{left}" y="{base}" font-size="9" fill="currentColor">0</text>'
        "{bars}"
        '<text x="{axis}" y="{h}" font-size="9" fill="currentColor">{first}</text>'
        '<text x="{w}" y="{h}" font-size="9" fill="currentColor" text-anchor="end">{last}</text>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        axis=AXIS,
        base=HEIGHT - 12,
        left=2,
        top=top if total else 0,
        label=f"Views per day, {first} to {last}: {total} in all",
        first=f"{first:%b %d}" if first else "",
        last=f"{last:%b %d}" if last else "",
        bars=format_html_join("", BAR, bars),
    )
