"""Summary cards and paper headers on list pages: cheap to render, and nothing personal shared.

Most of a card is the same for every reader who may see it: its paper's header and the
summary's byline and text (includes/paper_header.html and includes/summary_article.html).
Those parts are kept as HTML fragments in the default cache, keyed by the data they show (a
header by its paper's last change, an article by a digest of what it prints), so no write
needs to end them and a per-process cache is as correct as a shared one: a page fetches all
of its fragments with one get_many, renders only the missing ones and stores them with one
set_many. List pages show each summary's teaser (cut at save time, summaries/teasers.py);
the paper's own page shows summaries whole.

The rest is personal and never cached: the footer (vote form with the CSRF token and the
reader's vote, Edit, History, Report, "Log in to vote"), the badge that tells the writer of an
anonymous summary that it is theirs, and comments. The footer is built in Python from URLs
reversed once per page: as a template it cost more than the rest of the card.
"""

import functools
import hashlib
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet, prefetch_related_objects
from django.middleware.csrf import get_token
from django.template.defaultfilters import pluralize
from django.template.loader import get_template
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe

from papers.models import Paper
from shortscience import pagecache

from .models import Summary

HEADER_TEMPLATE = "includes/paper_header.html"
ARTICLE_TEMPLATE = "includes/summary_article.html"
COMMENTS_TEMPLATE = "includes/summary_comments.html"
# Where the article template leaves room for the personal badge.
BADGE_SLOT = "<!-- personal badge -->"
OWN_ANONYMOUS_BADGE = '<span class="badge">anonymous: only you see it is yours</span>'
# Long columns that no card shows.
UNSHOWN_COLUMNS = ("source", "paper__abstract", "paper__bibtex")


@dataclass(frozen=True)
class Card:
    paper: Paper
    header: SafeString  # the paper's header; "" where the page shows its paper once
    summary: Summary | None = None
    article: SafeString = SafeString()  # byline, text, footer and comments; closed


def summary_cards(request, summaries, *, heading="h2", comments=False, whole=False):
    """Cards for `summaries`: a queryset, loaded here with what cards show and no more, or a
    list of summaries already loaded with their paper and author. `heading` is the element of
    each paper header, or None for none (the paper's own page); `comments` adds each summary's
    comments (from `public_comments`, which the caller prefetches); `whole` shows the whole
    text rather than the teaser."""
    fragments = _Fragments(request)
    if isinstance(summaries, QuerySet):
        summaries = summaries.select_related("author", "paper__venue").defer(
            *UNSHOWN_COLUMNS, "teaser" if whole else "html"
        )
    summaries = list(summaries)
    articles = {fragments.key("s", s.pk, _article_digest(s, whole)): s for s in summaries}
    headers = {_header_key(fragments, s.paper, heading): s.paper for s in summaries}
    headers.pop(None, None)
    found = fragments.get_many([*headers, *articles])

    missing_articles = {key: s for key, s in articles.items() if key not in found}
    rendered = {
        **_render_headers({key: p for key, p in headers.items() if key not in found}, heading),
        **_render(
            ARTICLE_TEMPLATE,
            {key: {"summary": s, "whole": whole} for key, s in missing_articles.items()},
        ),
    }
    fragments.set_many(rendered)
    found.update(rendered)

    personal = _PersonalParts(request)
    return [
        Card(
            paper=summary.paper,
            header=mark_safe(found.get(_header_key(fragments, summary.paper, heading), "")),
            summary=summary,
            article=personal.article(found[key], summary, comments=comments),
        )
        for key, summary in articles.items()
    ]


def paper_cards(request, papers, *, heading="h2"):
    """Headers for a list of papers (search results, an author's papers): `papers` need not
    come with their authors and keywords, which are read only for headers not in the cache."""
    fragments = _Fragments(request)
    papers = [(_header_key(fragments, paper, heading), paper) for paper in papers]
    found = fragments.get_many([key for key, _ in papers])
    rendered = _render_headers({key: p for key, p in papers if key not in found}, heading)
    fragments.set_many(rendered)
    found.update(rendered)
    return [Card(paper=paper, header=mark_safe(found[key])) for key, paper in papers]


def shared_fragment(request, template_name, context, *key):
    """Another part of a page that is the same for every reader (the paper page's related
    papers): `template_name` rendered with `context()`, which is called, and its queries run,
    only when the fragment is not in the cache. `key` names what it shows; it is kept under
    the versions of what the view declared it shows (pagecache.depends_on)."""
    fragments = _Fragments(request)
    template = get_template(template_name)
    name = fragments.key(
        _digest(template.template.source), pagecache.declared_digest(request), *key
    )
    found = fragments.get_many([name])
    if name not in found:
        found[name] = str(template.render(context()))
        fragments.set_many(found)
    return mark_safe(found[name])


class _Fragments:
    """The shared fragments of one page, kept while the page cache is on."""

    def __init__(self, request):
        self.enabled = bool(settings.PAGE_CACHE_SECONDS)
        self.prefix = f"card:{_templates_digest()}:" if self.enabled else ""

    def key(self, *parts):
        return self.prefix + ":".join(str(part) for part in parts)

    def get_many(self, keys):
        return cache.get_many(keys) if self.enabled and keys else {}

    def set_many(self, fragments):
        if self.enabled and fragments:
            cache.set_many(fragments, settings.PAGE_CACHE_SECONDS)


def _header_key(fragments, paper, heading):
    if not heading:
        return None
    return fragments.key("p", paper.pk, paper.updated.timestamp(), paper.venue_id, heading)


def _article_digest(summary, whole):
    """A digest of everything the article fragment prints."""
    author = summary.author
    shown = (
        summary.html if whole else (summary.teaser or summary.html),
        summary.score,
        summary.state,
        summary.moderation_reason,
        summary.is_private,
        summary.is_anonymous,
        summary.created.timestamp(),
        summary.paper.bibtex_key,
        author and (author.pk, author.username, author.name),
        whole,
    )
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:24]


def _templates_digest():
    """Part of every fragment's key, so that new markup is never mixed with cached old."""
    return _digest(
        get_template(HEADER_TEMPLATE).template.source
        + get_template(ARTICLE_TEMPLATE).template.source
    )


@functools.lru_cache(maxsize=8)
def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _render_headers(papers_by_key, heading):
    # What a header shows; papers that come with it (select_related, for_listing) are skipped.
    prefetch_related_objects(
        list(papers_by_key.values()), "venue", *Paper.objects.listing_prefetches()
    )
    return _render(
        HEADER_TEMPLATE,
        {key: {"paper": paper, "heading": heading} for key, paper in papers_by_key.items()},
    )


def _render(template_name, contexts_by_key):
    template = get_template(template_name)
    return {key: str(template.render(context)) for key, context in contexts_by_key.items()}


def _url_maker(name, placeholder):
    """A function making the URL `name` for one argument: reversed once with a placeholder,
    which each call replaces with the argument quoted as reverse() quotes it."""
    before, found, after = reverse(name, args=[placeholder]).partition(str(placeholder))
    assert found and str(placeholder) not in after, f"{placeholder} in the URL {name}"
    safe = RFC3986_SUBDELIMS + "/~:@"
    return lambda value: f"{before}{quote(str(value), safe=safe)}{after}"


class _PersonalParts:
    """What belongs to one request's reader; built per request and never cached."""

    def __init__(self, request):
        self.user = request.user
        self.signed_in = request.user.is_authenticated
        # Only signed-in readers get forms; asking for a token makes a response personal.
        self.csrf_token = get_token(request) if self.signed_in else ""
        self.path = request.path
        self.paper_url = _url_maker("papers:detail", "PAPER-KEY")
        self.write_url = _url_maker("papers:write", "PAPER-KEY")
        self.vote_url = _url_maker("summaries:vote", 987654321)
        self.history_url = _url_maker("summaries:history", 987654321)
        self.report_url = _url_maker("summaries:report_summary", 987654321)
        self.login_url = reverse("login")

    def article(self, fragment, summary, *, comments):
        is_author = self.signed_in and self.user.pk == summary.author_id
        badge = OWN_ANONYMOUS_BADGE if is_author and summary.is_anonymous else ""
        parts = [fragment.replace(BADGE_SLOT, badge, 1), self.footer(summary, is_author)]
        if comments:
            template = get_template(COMMENTS_TEMPLATE)
            context = {"summary": summary, "user": self.user, "csrf_token": self.csrf_token}
            parts += ["  ", template.render(context), "\n"]
        parts.append("</article>\n")
        return mark_safe("".join(parts))

    # The footer and vote form are f-strings rather than format_html(), at a third of the cost
    # on a page of 30 cards; every string put in goes through escape().

    def footer(self, summary, is_author):
        key = summary.paper.bibtex_key
        paper_url = escape(self.paper_url(key))
        anchor = escape(summary.anchor)
        public = summary.is_public
        links = [f'<a href="{paper_url}#{anchor}" class="permalink">[link]</a>']
        if public:
            if summary.can_vote(self.user):  # the one rule for who may vote
                links.append(self.vote_form(summary, anchor))
            elif not self.signed_in:
                permalink = quote(f"{self.paper_url(key)}#{summary.anchor}")
                links.append(
                    f'<a href="{escape(self.login_url)}?next={escape(permalink)}" class="muted">'
                    "Log in to vote</a>"
                )
            count = summary.comment_count
            links.append(
                f'<a href="{paper_url}#comments-{summary.pk}" class="comment-count">'
                f"{count} comment{pluralize(count)}</a>"
            )
        if summary.can_edit(self.user):
            links.append(f'<a href="{escape(self.write_url(key))}">Edit</a>')
        if public or is_author:
            links.append(f'<a href="{escape(self.history_url(summary.pk))}">History</a>')
        if public and self.signed_in and not is_author:
            links.append(
                f'<a href="{escape(self.report_url(summary.pk))}" class="muted" rel="nofollow">'
                "Report</a>"
            )
        return '  <footer class="summary-footer">\n    ' + "\n    ".join(links) + "\n  </footer>\n"

    def vote_form(self, summary, anchor):
        mine = getattr(summary, "my_vote", None)
        up, up_pressed, up_title = (
            (0, "true", "Clear your upvote")
            if mine == 1
            else (1, "false", "This summary is useful")
        )
        down, down_pressed, down_title = (
            (0, "true", "Clear your downvote")
            if mine == -1
            else (-1, "false", "This summary is not useful")
        )
        return (
            f'<form method="post" action="{escape(self.vote_url(summary.pk))}" '
            'class="vote-form inline-form" data-vote-form>\n'
            '        <input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{escape(self.csrf_token)}">\n'
            f'        <input type="hidden" name="next" value="{escape(self.path)}#{anchor}">\n'
            f'        <button type="submit" name="value" value="{up}" class="vote-button" '
            f'data-direction="1" aria-pressed="{up_pressed}" title="{up_title}">'
            '<span aria-hidden="true">▲</span> Up</button>\n'
            f'        <button type="submit" name="value" value="{down}" class="vote-button" '
            f'data-direction="-1" aria-pressed="{down_pressed}" title="{down_title}">'
            '<span aria-hidden="true">▼</span> Down</button>\n'
            "      </form>"
        )
