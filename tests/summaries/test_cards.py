"""Summary cards keep their shared parts (paper header, byline, text) as cached fragments when
the page cache is on: every reader must see what a fresh render shows them, nothing of anyone
else's, and the news after any change."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from papers.models import Author, Paper, Venue
from summaries import cards
from summaries.models import Comment, Summary
from summaries.moderation import hide
from summaries.voting import cast_vote
from tests.conftest import make_paper, make_summary

CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


@pytest.fixture
def page_cache(settings):
    """Turn the shared cache on (what REDIS_URL does in production) with an empty cache."""
    settings.PAGE_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast(paper, author, stranger, moderator, venue):
    """Every kind of card: signed, anonymous, private, hidden, voted on, commented on."""
    reader = User.objects.create_user("rita", "rita@example.org", "pw", display_name="Rita R")
    signed = make_summary(paper, author, "Alice's *signed* summary with $x^2$.")
    other = make_summary(paper, stranger, "Mallory's summary of the same paper.")
    second = make_paper("conf/nips/Second15", venue=venue, title="A second paper")
    second.set_keywords(["cs.CV", "dblp"])
    masked = make_summary(second, author, "Written without a name.", is_anonymous=True)
    third = make_paper("conf/nips/Third15", venue=venue, title="A third paper")
    private = make_summary(third, author, "Only for me.", is_private=True, share_token="tok")
    fourth = make_paper("conf/nips/Fourth15", venue=venue, title="A fourth paper")
    hidden = make_summary(fourth, author, "Moderated away.")
    hide(hidden, moderator=moderator, reason="Off <b>topic</b>")
    cast_vote(summary=signed, user=reader, value=1)
    cast_vote(summary=other, user=reader, value=-1)
    Comment.objects.create(summary=signed, author=stranger, source="Nice $y$.")
    Summary.objects.filter(pk=signed.pk).update(comment_count=1)
    return {
        "reader": reader,
        "signed": signed,
        "other": other,
        "masked": masked,
        "private": private,
        "hidden": hidden,
    }


PAGES = [
    "/",
    "/?tab=top",
    "/paper/conf/nips/RenHGS15/",
    "/paper/conf/nips/Second15/",
    "/paper/conf/nips/Third15/",
    "/paper/conf/nips/Fourth15/",
    "/venue/conf/nips/2015/",
    "/venue/conf/nips/",
    "/year/2015/",
    "/keyword/cs.CV/",
    "/user/alice/",
    "/user/mallory/",
    "/search/?q=paper",
    "/author/shaoqing-ren/",
    "/s/tok/",
]


def _client_of(client_class, user):
    client = client_class()
    if user is not None:
        client.force_login(user)
    return client


def _page(client, url):
    """The page as its reader gets it, with the CSRF tokens (new on every request) blanked. An
    anonymous reader carries a messages cookie, which lets them past the whole-page cache."""
    if "sessionid" not in client.cookies:
        client.cookies["messages"] = ""
    response = client.get(url)
    assert response.status_code == 200, url
    return CSRF_VALUE.sub(r'\1"', response.content.decode())


def _article(page, summary):
    """One summary's <article> on a page (ids repeat on a profile: they are the writer's name)."""
    articles = re.findall(r'<article class="summary".*?</article>', page, re.S)
    [article] = [a for a in articles if f'data-score-of="{summary.pk}"' in a]
    return article


def _stored_fragments():
    keys = [key.split(":", 2)[2] for key in list(cache._cache)]  # locmem's own dict
    return "".join(value for value in cache.get_many(keys).values() if isinstance(value, str))


@pytest.mark.parametrize("who", ["anonymous", "rita", "alice", "mallory", "mod"])
def test_pages_are_the_same_with_fragments_and_without(client, cast, settings, who):
    user = None if who == "anonymous" else User.objects.get(username=who)
    settings.PAGE_CACHE_SECONDS = 0
    rendered = {url: _page(_client_of(type(client), user), url) for url in PAGES}
    settings.PAGE_CACHE_SECONDS = 600
    cache.clear()
    for attempt in ("rendering the fragments", "from the cached fragments"):
        reader = _client_of(type(client), user)
        for url in PAGES:
            assert _page(reader, url) == rendered[url], (url, attempt)
    assert any(key.startswith(":1:card:") for key in cache._cache)  # locmem's own dict
    cache.clear()


def test_fragments_are_stored_only_with_a_shared_cache(client, cast, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.force_login(cast["reader"])
    client.get("/")
    assert not [key for key in cache._cache if ":card:" in key]


def test_only_the_writer_of_an_anonymous_summary_learns_it_is_theirs(
    client, cast, author, page_cache
):
    masked = cast["masked"]
    client.force_login(author)
    own = _article(_page(client, "/"), masked)
    assert "anonymous: only you see it is yours" in own
    assert "Written without a name." in _stored_fragments()
    assert "only you see it is yours" not in _stored_fragments()
    for reader in (None, cast["reader"], User.objects.get(username="mallory")):
        seen = _article(_page(_client_of(type(client), reader), "/"), masked)
        assert "only you see it is yours" not in seen
        assert "Anonymous" in seen and "alice" not in seen.lower()
        assert "Edit</a>" not in seen


def test_nothing_of_one_readers_request_reaches_another(client, cast, stranger, page_cache):
    """Mallory's CSRF tokens, vote and Edit links never show up for Rita, and nothing of either
    is in the cache."""
    client.force_login(stranger)
    cast_vote(summary=cast["signed"], user=stranger, value=-1)
    mallory_pages = "".join(client.get(url).content.decode() for url in PAGES)
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', mallory_pages))
    assert tokens
    home = client.get("/").content.decode()
    assert "Edit</a>" in _article(home, cast["other"])
    assert 'data-direction="-1" aria-pressed="true"' in _article(home, cast["signed"])

    rita = _client_of(type(client), cast["reader"])
    for url in PAGES:
        page = rita.get(url).content.decode()
        assert not any(token in page for token in tokens), url
    home = rita.get("/").content.decode()
    assert "Edit</a>" not in _article(home, cast["other"])
    assert 'data-direction="1" aria-pressed="true"' in _article(home, cast["signed"])
    assert 'data-direction="-1" aria-pressed="false"' in _article(home, cast["signed"])

    stored = _stored_fragments()
    assert 'class="summary-text prose"' in stored
    readers = ["Rita R", "/user/rita/"]  # Rita wrote nothing: only her requests could add her
    for personal in [*tokens, *readers, "csrfmiddlewaretoken", "aria-pressed", "Edit</a>", "yours"]:
        assert personal not in stored


def _footer(page, summary):
    """(text, href) of each link in a summary's footer, and the vote form's fields or None."""
    footer = re.search(
        r'<footer class="summary-footer">(.*?)</footer>', _article(page, summary), re.S
    )
    html = footer.group(1)
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', html)
    form = re.search(r'<form method="post" action="([^"]+)".*?</form>', html, re.S)
    fields = None
    if form:
        inputs = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0))
        buttons = re.findall(r'name="value" value="(-?\d)"[^>]*aria-pressed="(\w+)"', form.group(0))
        fields = {"action": form.group(1), **dict(inputs), "buttons": buttons}
    return [(text, href) for href, text in links], fields


@pytest.mark.parametrize("cached", [False, True])
def test_each_reader_gets_the_footer_links_and_forms_that_are_theirs(
    client, cast, author, settings, cached
):
    settings.PAGE_CACHE_SECONDS = 600 if cached else 0
    cache.clear()
    signed, masked = cast["signed"], cast["masked"]
    paper_url = "/paper/conf/nips/RenHGS15/"
    permalink = f"{paper_url}#alice"

    page = _page(_client_of(type(client), None), "/")
    assert _footer(page, signed) == (
        [
            ("[link]", permalink),
            ("Log in to vote", "/accounts/login/?next=/paper/conf/nips/RenHGS15/%23alice"),
            ("1 comment", f"{paper_url}#comments-{signed.pk}"),
            ("History", f"/summaries/{signed.pk}/history/"),
        ],
        None,
    )

    rita = _client_of(type(client), cast["reader"])
    links, form = _footer(rita.get("/").content.decode(), signed)
    assert links == [
        ("[link]", permalink),
        ("1 comment", f"{paper_url}#comments-{signed.pk}"),
        ("History", f"/summaries/{signed.pk}/history/"),
        ("Report", f"/summaries/{signed.pk}/report/"),
    ]
    token = form.pop("csrfmiddlewaretoken")
    assert len(token) == 64
    assert form == {
        "action": f"/summaries/{signed.pk}/vote/",
        "next": "/#alice",
        "buttons": [("0", "true"), ("-1", "false")],  # Rita's upvote, to clear or flip
    }

    writer = _client_of(type(client), author)
    profile = writer.get("/user/alice/").content.decode()
    edit = ("Edit", "/paper/conf/nips/RenHGS15/write/")
    assert _footer(profile, signed) == (
        [
            ("[link]", permalink),
            ("1 comment", f"{paper_url}#comments-{signed.pk}"),
            edit,
            ("History", f"/summaries/{signed.pk}/history/"),
        ],
        None,
    )
    private, hidden = cast["private"], cast["hidden"]
    for summary, key in [(private, "Third15"), (hidden, "Fourth15")]:
        assert _footer(profile, summary) == (
            [
                ("[link]", f"/paper/conf/nips/{key}/#alice"),
                ("Edit", f"/paper/conf/nips/{key}/write/"),
                ("History", f"/summaries/{summary.pk}/history/"),
            ],
            None,
        )
    own_masked = _article(profile, masked)
    assert '<span class="badge">anonymous: only you see it is yours</span>' in own_masked
    assert ("[link]", f"/paper/conf/nips/Second15/#summary-{masked.pk}") in _footer(
        profile, masked
    )[0]


# What changes shows at once --------------------------------------------------------------------


@pytest.fixture
def rita(client, cast, page_cache):
    """Rita, signed in, with the home page's fragments cached."""
    client.force_login(cast["reader"])
    assert client.get("/").status_code == 200
    return client


def _as(client, user):
    other = type(client)()
    other.force_login(user)
    return other


def test_an_edit_shows_at_once(rita, author, cast):
    writer = _as(rita, author)
    response = writer.post(
        "/paper/conf/nips/RenHGS15/write/",
        {
            "source": "Rewritten from scratch.",
            "base_revision": cast["signed"].current_revision_id(),
        },
    )
    assert response.status_code == 302
    assert "Rewritten from scratch." in rita.get("/").content.decode()


def test_a_vote_shows_in_the_score_at_once(rita, cast, stranger):
    assert "1 point<" in _article(rita.get("/").content.decode(), cast["signed"])
    voter = _as(rita, stranger)
    voter.post(f"/summaries/{cast['signed'].pk}/vote/", {"value": 1})
    assert "2 points<" in _article(rita.get("/").content.decode(), cast["signed"])


def test_a_vote_outside_a_request_shows_too(rita, cast, stranger):
    """cast_vote() updates the score with .update(): no signal, but the score is in the key."""
    cast_vote(summary=cast["signed"], user=stranger, value=1)
    assert "2 points<" in _article(rita.get("/").content.decode(), cast["signed"])


def test_a_comment_shows_in_the_count_at_once(rita, cast, stranger):
    _as(rita, stranger).post(f"/summaries/{cast['other'].pk}/comments/", {"source": "Hm."})
    assert "1 comment<" in _article(rita.get("/").content.decode(), cast["other"])


def test_a_moderators_hide_shows_at_once_to_the_writer(client, cast, author, moderator, page_cache):
    client.force_login(author)
    profile = client.get("/user/alice/").content.decode()
    assert "badge-hidden" not in _article(profile, cast["signed"])
    _as(client, moderator).post(
        "/admin/summaries/summary/",
        {"action": "hide_selected", "_selected_action": [cast["signed"].pk], "reason": "Spammy"},
    )
    profile = client.get("/user/alice/").content.decode()
    assert "Hidden by a moderator: Spammy" in _article(profile, cast["signed"])
    assert f'id="{cast["signed"].anchor}"' not in _page(type(client)(), "/")


def test_a_hide_outside_a_request_shows_too(client, cast, author, moderator, page_cache):
    client.force_login(author)
    client.get("/user/alice/")
    hide(cast["signed"], moderator=moderator, reason="Quietly")
    article = _article(client.get("/user/alice/").content.decode(), cast["signed"])
    assert "Hidden by a moderator: Quietly" in article


def test_an_author_renamed_in_the_admin_shows_at_once(rita, superuser):
    author = Author.objects.get(slug="shaoqing-ren")
    response = _as(rita, superuser).post(
        f"/admin/papers/author/{author.pk}/change/",
        {"name": "Shaoqing Renamed", "slug": author.slug},
    )
    assert response.status_code == 302
    assert ">Shaoqing Renamed</a>" in rita.get("/").content.decode()


@pytest.mark.parametrize("what", ["paper", "author", "venue", "writer", "keyword"])
def test_a_rename_by_a_model_save_shows_at_once(
    rita, cast, what, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        if what == "paper":
            paper = Paper.objects.get(bibtex_key="conf/nips/RenHGS15")
            paper.title = "Renamed Paper Title"
            paper.save()
        elif what == "author":
            author = Author.objects.get(slug="shaoqing-ren")
            author.name = "Renamed Author"
            author.save()
        elif what == "venue":
            venue = Venue.objects.get(key="conf/nips")
            venue.short_name = "Renamed Venue"
            venue.save()
        elif what == "writer":
            writer = User.objects.get(username="alice")
            writer.display_name = "Renamed Writer"
            writer.save()
        else:
            Paper.objects.get(bibtex_key="conf/nips/Second15").set_keywords(["renamed-keyword"])
    expected = {
        "paper": "Renamed Paper Title",
        "author": "Renamed Author",
        "venue": "Renamed Venue",
        "writer": "Renamed Writer",
        "keyword": "renamed-keyword",
    }[what]
    assert expected in rita.get("/").content.decode()


def test_a_private_summary_made_public_loses_its_badge(
    rita, cast, author, django_capture_on_commit_callbacks
):
    writer = _as(rita, author)
    assert "badge-private" in _article(writer.get("/user/alice/").content.decode(), cast["private"])
    summary = Summary.objects.get(pk=cast["private"].pk)
    summary.is_private = False
    with django_capture_on_commit_callbacks(execute=True):
        summary.save()
    for reader in (rita, writer):
        page = reader.get("/user/alice/").content.decode()
        assert "badge-private" not in _article(page, summary)


# Cost ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 30])
def test_cached_cards_skip_the_text_authors_and_keywords(
    client, venue, count, settings, page_cache, django_assert_max_num_queries
):
    settings.PAGE_SIZE = 50
    reader = User.objects.create_user("reader")
    for i in range(count):
        paper = make_paper(f"conf/nips/P{i}", venue=venue, title=f"Paper {i}")
        paper.set_keywords(["cs.LG"])
        make_summary(paper, User.objects.create_user(f"w{i}"), f"Summary {i}")
    client.force_login(reader)
    # 9: the header's unread-notice count is one query until it is cached.
    with django_assert_max_num_queries(9):
        assert client.get("/").content.decode().count('class="card"') == count
    with django_assert_max_num_queries(5) as queries:
        assert client.get("/").content.decode().count('class="card"') == count
    statements = " ".join(query["sql"] for query in queries.captured_queries)
    assert '"html"' not in statements and "authorship" not in statements


@pytest.mark.parametrize(
    "key", ["conf/nips/RenHGS15", "journals/corr/abs-1706.03762", "10.1145/3(2)_x:y", "é&'+%"]
)
def test_footer_urls_are_what_reverse_makes(key):
    assert cards._url_maker("papers:detail", "PAPER-KEY")(key) == reverse(
        "papers:detail", args=[key]
    )
    assert cards._url_maker("papers:write", "PAPER-KEY")(key) == reverse("papers:write", args=[key])
    assert cards._url_maker("summaries:vote", 987654321)(42) == reverse("summaries:vote", args=[42])


@pytest.fixture
def citing(cast, author, stranger, venue):
    """The RPN paper's summary cites a paper that is here and a key that is not; a summary of
    another paper cites the RPN paper."""
    cited = make_paper("conf/cvpr/GirshickDDM14", venue=venue, title="Rich feature hierarchies")
    cast["signed"].source = "Builds on \\cite{conf/cvpr/GirshickDDM14} and \\cite{conf/x/Gone99}."
    cast["signed"].save()
    citer = make_paper("conf/nips/Citer16", venue=venue, title="A paper that cites RPN")
    make_summary(citer, stranger, "Improves on \\cite{conf/nips/RenHGS15}.")
    return cited


def test_related_papers_are_the_same_from_the_cache_and_cost_no_queries(
    client, citing, page_cache, django_assert_max_num_queries
):
    reader = _client_of(type(client), User.objects.get(username="rita"))
    first = _page(reader, "/paper/conf/nips/RenHGS15/")
    related = re.search(r'<section class="related".*?</section>', first, re.S).group()
    assert "Rich feature hierarchies" in related and "conf/x/Gone99" in related
    assert "A paper that cites RPN" in related
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as uncached:
        cache.clear()
        _page(reader, "/paper/conf/nips/RenHGS15/")
    with CaptureQueriesContext(connection) as cached:
        assert _page(reader, "/paper/conf/nips/RenHGS15/") == first
    assert len(cached) <= len(uncached) - 3  # cites, missing keys, cited by
    assert not any("summaries_citation" in q["sql"] for q in cached.captured_queries)


def test_a_new_citing_summary_shows_in_related_papers_at_once(
    rita, citing, author, django_capture_on_commit_callbacks
):
    assert "A later paper" not in rita.get("/paper/conf/nips/RenHGS15/").content.decode()
    later = make_paper("conf/nips/Later17", title="A later paper")
    writer = _as(rita, author)
    with django_capture_on_commit_callbacks(execute=True):
        response = writer.post(
            "/paper/conf/nips/Later17/write/", {"source": "See \\cite{conf/nips/RenHGS15}."}
        )
    assert response.status_code == 302
    assert later.title in rita.get("/paper/conf/nips/RenHGS15/").content.decode()


def test_search_results_come_from_the_cache_and_show_new_papers_at_once(
    client, cast, page_cache, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reader = _client_of(type(client), cast["reader"])
    first = _page(reader, "/search/?q=paper")
    assert "A second paper" in first
    with CaptureQueriesContext(connection) as cached:
        assert _page(reader, "/search/?q=paper") == first
    assert not any("searchdocument" in q["sql"].lower() for q in cached.captured_queries)
    # Another query, another page of results: not the cached ones.
    assert "A second paper" not in _page(reader, "/search/?q=fourth")
    assert "A fourth paper" in _page(reader, "/search/?q=fourth")
    with django_capture_on_commit_callbacks(execute=True):
        make_paper("conf/nips/Fifth15", title="A fifth paper")
    assert "A fifth paper" in _page(reader, "/search/?q=paper")
