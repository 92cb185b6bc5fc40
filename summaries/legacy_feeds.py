"""The original site's feeds at their old addresses, which bots still read.

`/rss.xml` (the newest summaries), `/rss-all.xml` (every public summary, newest first, paged
with `?page=N` and RFC 5005 `atom:link rel="next"`/`"previous"`) and `/rss-full.xml` (the
newest, with their whole text). Each item carries the fields ShortScience's Reddit bot and
GitXiv read, in ShortScience's own XML namespace: `shortscience:bibtexkey`,
`shortscience:arxivid` (empty when the paper has none) and `shortscience:votes` (the score).
"""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator

from .feeds import CleanRssFeed, SummaryFeed, absolute, mathml_only

NAMESPACE = "https://www.shortscience.org/ns/rss/1.0"
EXCERPT_WORDS = 80
ALL_PAGE_SIZE = 50


class ShortScienceRss(CleanRssFeed):
    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:shortscience": NAMESPACE}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        for rel in ("previous", "next"):
            if self.feed.get(rel):
                handler.addQuickElement("atom:link", None, {"rel": rel, "href": self.feed[rel]})

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("shortscience:bibtexkey", item["bibtexkey"])
        handler.addQuickElement("shortscience:arxivid", item["arxivid"])
        handler.addQuickElement("shortscience:votes", str(item["votes"]))


class LegacyFeed(SummaryFeed):
    feed_type = ShortScienceRss
    title = "ShortScience: latest summaries"
    description = "The newest paper summaries on ShortScience."
    full_text = False

    def link(self):
        return absolute("/?tab=recent")

    def order(self, summaries):
        return summaries.order_by("-created", "-pk")

    def item_extra_kwargs(self, summary):
        return {
            "bibtexkey": summary.paper.bibtex_key,
            "arxivid": summary.paper.arxiv_id,
            "votes": summary.score,
        }

    def item_description(self, summary):
        if self.full_text:
            return super().item_description(summary)
        text = strip_tags(mathml_only(summary.html))
        return Truncator(" ".join(text.split())).words(EXCERPT_WORDS)


class FullTextFeed(LegacyFeed):
    description = "The newest paper summaries on ShortScience, with their whole text."
    full_text = True


class AllSummariesFeed(LegacyFeed):
    title = "ShortScience: all summaries"
    description = "Every public paper summary on ShortScience, newest first, a page at a time."

    def get_object(self, request):
        paginator = Paginator(
            self.order(self.summaries(None).for_listing()),
            ALL_PAGE_SIZE,
            allow_empty_first_page=True,
        )
        try:
            return paginator.page(request.GET.get("page", 1))
        except (EmptyPage, PageNotAnInteger):
            raise Http404("No such page of summaries.") from None

    def items(self, page):
        return page.object_list

    def feed_url(self, page):
        return self._page_url(page.number)

    def feed_extra_kwargs(self, page):
        return {
            "previous": self._page_url(page.number - 1) if page.has_previous() else None,
            "next": self._page_url(page.number + 1) if page.has_next() else None,
        }

    @staticmethod
    def _page_url(number):
        path = reverse("legacy:rss_all")
        return absolute(path if number == 1 else f"{path}?page={number}")
