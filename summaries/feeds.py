"""RSS and Atom feeds of public summaries: latest, top, and those of one paper, venue, writer or
keyword. Each entry carries the whole rendered summary under a line naming the paper (title,
BibTeX key, arXiv id). Anonymous summaries are bylined "Anonymous" and stay out of their
writer's feed, so no feed ties them to a person."""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import format_html

from accounts.models import User
from papers.models import Keyword, Paper, Venue
from shortscience import pagecache
from shortscience.links import absolute_url
from shortscience.pagecache import tag
from shortscience.text import strip_controls

from .models import Summary

FEED_LENGTH = 30


def absolute(path):
    return absolute_url(path)


def absolute_links(html):
    """Stored HTML links to site paths ("/paper/..."); feed readers need full URLs."""
    site = settings.SITE_URL
    return html.replace('href="/', f'href="{site}/').replace('src="/', f'src="{site}/')


_KATEX_HTML = re.compile(r'<span class="katex-html" aria-hidden="true">')
_SPAN_TAG = re.compile(r"<span\b|</span>")


def mathml_only(html):
    """KaTeX writes every formula twice: as HTML that its stylesheet lays out, and as MathML
    for screen readers. Feed readers have no stylesheet, so they would show the formula twice,
    once garbled; keep the MathML, which they display (and which is a third of the bytes).
    Only KaTeX writes that class: the sanitizer drops classes outside its allow-list."""
    kept, position = [], 0
    while match := _KATEX_HTML.search(html, position):
        kept.append(html[position : match.start()])
        depth, end = 1, match.end()
        while depth:
            tag = _SPAN_TAG.search(html, end)
            if tag is None:  # unbalanced: not KaTeX's, keep the rest as it is
                return html
            depth += 1 if tag.group() == "<span" else -1
            end = tag.end()
        position = end
    kept.append(html[position:])
    return "".join(kept)


def _clean(value):
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_clean(item) for item in value)
    return value


class _WithoutControls:
    """A feed that drops the control characters XML 1.0 cannot carry, whatever a row holds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*map(_clean, args), **{k: _clean(v) for k, v in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*map(_clean, args), **{k: _clean(v) for k, v in kwargs.items()})


class CleanRssFeed(_WithoutControls, Rss201rev2Feed):
    pass


class SummaryAtomFeed(_WithoutControls, Atom1Feed):
    """Atom with the summary as <content type="html"> rather than a <summary>."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        handler.addQuickElement("content", item["description"], {"type": "html"})


class SummaryFeed(Feed):
    feed_type = CleanRssFeed
    description_template = None

    def summaries(self, obj):
        """The public summaries this feed lists, unordered; subclasses narrow them."""
        return Summary.objects.public()

    def order(self, summaries):
        return summaries.recent()

    def items(self, obj):
        return self.order(self.summaries(obj).for_listing())[:FEED_LENGTH]

    def tags(self, obj):
        """What the feed shows, for the page cache."""
        return [pagecache.SITE_LISTINGS]

    def get_feed(self, obj, request):
        pagecache.depends_on(request, *self.tags(obj))
        return super().get_feed(obj, request)

    def item_title(self, summary):
        return summary.paper.title

    def item_link(self, summary):
        return absolute(summary.get_absolute_url())

    def item_guid(self, summary):
        return absolute(summary.get_absolute_url())

    def item_description(self, summary):
        paper = summary.paper
        arxiv = (
            format_html(' · arXiv <a href="{}">{}</a>', paper.arxiv_url, paper.arxiv_id)
            if paper.arxiv_id
            else ""
        )
        header = format_html(
            '<p>Summary of <a href="{}">{}</a> · key <code>{}</code>{}</p>',
            absolute(paper.get_absolute_url()),
            paper.title,
            paper.bibtex_key,
            arxiv,
        )
        return header + absolute_links(mathml_only(summary.html))

    def item_author_name(self, summary):
        return summary.byline

    def item_author_link(self, summary):
        return absolute(summary.author.get_absolute_url()) if summary.shows_author else None

    def item_pubdate(self, summary):
        return summary.created

    def item_updateddate(self, summary):
        return summary.edited

    def item_categories(self, summary):
        return [keyword.name for keyword in summary.paper.keywords.all()]


class AsAtom:
    feed_type = SummaryAtomFeed

    def subtitle(self, obj):
        return self._get_dynamic_attr("description", obj)


class LatestSummaries(SummaryFeed):
    title = "ShortScience: latest summaries"
    description = "The newest and most recently edited paper summaries on ShortScience."

    def link(self):
        return absolute("/?tab=recent")


class TopSummaries(SummaryFeed):
    title = "ShortScience: top summaries"
    description = "The highest-scored paper summaries on ShortScience."

    def link(self):
        return absolute("/?tab=top")

    def order(self, summaries):
        return summaries.best_first()


class PaperSummaries(SummaryFeed):
    def get_object(self, request, key):
        paper = Paper.objects.find(key)
        if paper is None:
            raise Http404("No such paper.")
        return paper

    def title(self, paper):
        return f"Summaries of “{paper.title}”"

    def description(self, paper):
        return f"Summaries of {paper.citation_label}: {paper.title} ({paper.bibtex_key})."

    def link(self, paper):
        return absolute(paper.get_absolute_url())

    def summaries(self, paper):
        return super().summaries(paper).filter(paper=paper)

    def tags(self, paper):
        return [tag("paper", paper.pk)]


class VenueSummaries(SummaryFeed):
    def get_object(self, request, key):
        return get_object_or_404(Venue, key=key)

    def title(self, venue):
        return f"{venue.name}: summaries on ShortScience"

    def description(self, venue):
        return f"Summaries of papers from {venue.label}."

    def link(self, venue):
        return absolute(venue.get_absolute_url())

    def summaries(self, venue):
        return super().summaries(venue).filter(paper__venue=venue)

    def tags(self, venue):
        return [tag("venue", venue.pk)]


class WriterSummaries(SummaryFeed):
    def get_object(self, request, username):
        return get_object_or_404(User, username__iexact=username, is_active=True)

    def title(self, person):
        return f"Summaries by {person.name} on ShortScience"

    def description(self, person):
        return f"Paper summaries written by {person.name}."

    def link(self, person):
        return absolute(person.get_absolute_url())

    def summaries(self, person):
        return super().summaries(person).filter(author=person, is_anonymous=False)

    def tags(self, person):
        return [tag("user", person.pk)]


class KeywordSummaries(SummaryFeed):
    def get_object(self, request, name):
        return get_object_or_404(Keyword, name=name)

    def title(self, keyword):
        return f"{keyword.name}: summaries on ShortScience"

    def description(self, keyword):
        return f"Summaries of papers with the keyword {keyword.name}."

    def link(self, keyword):
        return absolute(reverse("papers:keyword", args=[keyword.name]))

    def summaries(self, keyword):
        return super().summaries(keyword).filter(paper__keywords=keyword)


FEEDS = {
    "latest": LatestSummaries,
    "top": TopSummaries,
    "paper": PaperSummaries,
    "venue": VenueSummaries,
    "user": WriterSummaries,
    "keyword": KeywordSummaries,
}


def rss(name):
    return FEEDS[name]()


def atom(name):
    feed = FEEDS[name]
    return type(f"{feed.__name__}Atom", (AsAtom, feed), {})()
