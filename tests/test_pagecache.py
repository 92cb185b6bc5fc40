"""The whole-page cache serves anonymous readers only what every reader would see, and a
write ends exactly the pages that show what it changed, once it commits."""

import gzip

import pytest
from django.conf import settings as project_settings
from django.core.cache import cache
from django.test import Client

from papers.models import Paper
from summaries.models import Summary
from summaries.voting import cast_vote
from summaries.writing import delete_summary, save_summary
from tests.conftest import make_paper, make_summary


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write as if its transaction committed (tests never commit)."""

    def run(write, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(*args, **kwargs)

    return run


@pytest.fixture
def site(paper, author, stranger, venue):
    """Two papers with summaries, in two years, and a reader who votes."""
    first = make_summary(paper, author, "The RPN proposes boxes from shared features.")
    other_paper = make_paper("conf/nips/Other16", venue=None, year=2016, title="Other paper")
    other = make_summary(other_paper, stranger, "A summary of the other paper.")
    return {"first": first, "other": other, "other_paper": other_paper}


PAGES = {
    "home": "/",
    "top": "/?tab=top",
    "paper": "/paper/conf/nips/RenHGS15/",
    "venue": "/venue/conf/nips/2015/",
    "year": "/year/2015/",
    "profile": "/user/alice/",
    "other paper": "/paper/conf/nips/Other16/",
    "other year": "/year/2016/",
    "other profile": "/user/mallory/",
    "feed": "/feeds/rss/latest/",
}


def warm(client):
    for name, path in PAGES.items():
        response = client.get(path)
        assert response.status_code == 200, name
    return {name: client.get(path).headers.get("X-Cache") for name, path in PAGES.items()}


def states(client):
    return {name: client.get(path).headers.get("X-Cache") for name, path in PAGES.items()}


def test_second_anonymous_view_is_served_from_cache_with_two_queries_at_most(
    client, summary, django_assert_max_num_queries
):
    assert client.get("/").headers["X-Cache"] == "miss"
    # Without Redis the page and the versions of what it shows are read from the database.
    with django_assert_max_num_queries(0 if project_settings.REDIS_URL else 2):
        response = client.get("/")
    assert response.headers["X-Cache"] == "hit"
    assert "The RPN proposes boxes" in response.content.decode()
    assert "Content-Security-Policy" in response.headers


def test_every_page_of_the_mix_is_cached(client, site):
    assert set(warm(client).values()) == {"hit"}


def test_a_vote_ends_the_pages_that_show_that_summary_and_no_other(
    client, site, committed, moderator
):
    warm(client)
    committed(cast_vote, summary=site["first"], user=moderator, value=1)
    after = states(client)
    for name in ("home", "top", "paper", "venue", "year", "profile", "feed"):
        assert after[name] == "miss", name
    for name in ("other paper", "other year", "other profile"):
        assert after[name] == "hit", name
    assert "1 point" in client.get(PAGES["paper"]).content.decode()


def test_an_edit_shows_at_once_on_its_paper_and_leaves_other_papers_cached(
    client, site, committed, author
):
    warm(client)
    committed(
        save_summary,
        paper=site["first"].paper,
        author=author,
        source="A completely new text.",
        is_private=False,
        is_anonymous=False,
        base_revision_id=site["first"].current_revision_id(),
    )
    page = client.get(PAGES["paper"])
    assert page.headers["X-Cache"] == "miss"
    assert "A completely new text." in page.content.decode()
    assert "A completely new text." in client.get("/").content.decode()
    assert client.get(PAGES["other paper"]).headers["X-Cache"] == "hit"
    assert client.get(PAGES["other year"]).headers["X-Cache"] == "hit"


def test_a_deleted_summary_leaves_its_pages_at_once(client, site, committed):
    warm(client)
    committed(delete_summary, summary=site["first"])
    assert "The RPN proposes boxes" not in client.get(PAGES["paper"]).content.decode()
    assert "The RPN proposes boxes" not in client.get("/").content.decode()
    assert "The RPN proposes boxes" not in client.get(PAGES["profile"]).content.decode()
    assert client.get(PAGES["other paper"]).headers["X-Cache"] == "hit"


def test_a_new_paper_ends_no_cached_page(client, site, committed, venue):
    warm(client)
    committed(Paper.objects.create, bibtex_key="conf/nips/New15", title="New", venue=venue)
    assert set(states(client).values()) == {"hit"}


def test_previews_logins_reports_and_csp_reports_end_nothing(
    client, site, committed, stranger, moderator
):
    warm(client)
    writer = Client()
    with_commits = committed
    assert (
        with_commits(
            writer.post, "/csp-report/", b"{}", content_type="application/csp-report"
        ).status_code
        < 400
    )
    assert with_commits(
        writer.post, "/accounts/login/", {"username": "mod", "password": "correct horse battery"}
    ).status_code in (200, 302)
    writer.force_login(stranger)
    assert with_commits(writer.post, "/preview/", {"source": "$x$"}).status_code == 200
    response = with_commits(
        writer.post,
        f"/summaries/{site['first'].pk}/report/",
        {"reason": "spam", "text": "ads"},
    )
    assert response.status_code == 302
    assert set(states(client).values()) == {"hit"}


def test_a_changed_display_name_ends_the_pages_with_that_writers_cards(
    client, site, committed, author
):
    warm(client)
    writer = Client()
    writer.force_login(author)
    response = committed(
        writer.post,
        "/accounts/settings/",
        {"display_name": "Alice Renamed", "bio": "", "orcid": "", "email_on_comments": "on"},
    )
    assert response.status_code == 302
    assert "Alice Renamed" in client.get(PAGES["paper"]).content.decode()
    assert client.get(PAGES["other paper"]).headers["X-Cache"] == "hit"


def test_signed_in_readers_always_get_a_fresh_page(client, summary, author):
    client.force_login(author)
    first = client.get("/")
    second = client.get("/")
    assert "X-Cache" not in first.headers and "X-Cache" not in second.headers
    assert "Log out" in second.content.decode()


def test_personal_content_never_lands_in_the_cache(client, paper, author):
    make_summary(paper, author, "only mine", is_private=True)
    client.force_login(author)
    assert "only mine" in client.get(paper.get_absolute_url()).content.decode()
    anonymous = Client()
    page = anonymous.get(paper.get_absolute_url())
    assert page.status_code == 200 and paper.title in page.content.decode()
    assert "only mine" not in page.content.decode()


def test_pages_with_a_csrf_token_or_cookie_are_not_stored(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "X-Cache" not in response.headers
    assert "csrftoken" in response.cookies


def test_errors_are_not_cached(client, db):
    assert client.get("/paper/conf/nowhere/X/").status_code == 404
    assert "X-Cache" not in client.get("/paper/conf/nowhere/X/").headers


def test_without_redis_the_versions_live_in_the_database_every_process_shares(
    client, site, committed, moderator
):
    if project_settings.REDIS_URL:
        pytest.skip("the deployment has Redis")
    for alias in (project_settings.CACHE_VERSIONS_ALIAS, project_settings.CACHE_PAGES_ALIAS):
        assert project_settings.CACHES[alias]["BACKEND"].endswith("DatabaseCache")
    warm(client)
    # Another process has none of this one's memory, and is served the same copies.
    cache.clear()
    assert client.get(PAGES["paper"]).headers["X-Cache"] == "hit"
    committed(cast_vote, summary=site["first"], user=moderator, value=1)
    assert client.get(PAGES["paper"]).headers["X-Cache"] == "miss"


def test_a_page_counter_hook_sees_pages_served_from_the_cache(client, summary):
    from shortscience.pagecache import page_viewed

    seen = []

    def count(sender, request, tags, cached, **kwargs):
        seen.append((request.path, cached, sorted(tags)))

    page_viewed.connect(count)
    try:
        client.get(summary.paper.get_absolute_url())
        client.get(summary.paper.get_absolute_url())
    finally:
        page_viewed.disconnect(count)
    assert [cached for _, cached, _ in seen] == [False, True]
    assert seen[1][2] == [f"paper:{summary.paper_id}"]


def test_cached_pages_go_compressed_to_clients_that_accept_gzip(client, summary):
    plain = client.get("/")
    assert "Content-Encoding" not in plain.headers
    assert "The RPN proposes boxes" in plain.content.decode()

    for state in ("hit", "hit"):
        response = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response.headers["X-Cache"] == state
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert int(response.headers["Content-Length"]) == len(response.content)
        assert len(response.content) < len(plain.content) / 2
        assert gzip.decompress(response.content) == plain.content


def test_a_client_that_refuses_gzip_gets_the_page_inflated(client, summary):
    client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    for refusal in ("gzip;q=0", "identity", "br, *;q=0", ""):
        response = client.get("/", HTTP_ACCEPT_ENCODING=refusal)
        assert response.headers["X-Cache"] == "hit"
        assert "Content-Encoding" not in response.headers
        assert "The RPN proposes boxes" in response.content.decode()
        assert int(response.headers["Content-Length"]) == len(response.content)


def test_pages_for_signed_in_readers_are_never_compressed(client, summary, author):
    # They carry a CSRF token; compressing secrets beside reflected input invites BREACH.
    client.force_login(author)
    response = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert "Content-Encoding" not in response.headers
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_feeds_are_shared_with_signed_in_readers_as_they_read_no_session(client, summary, author):
    anonymous = Client().get("/feeds/rss/latest/", HTTP_ACCEPT_ENCODING="gzip")
    assert anonymous.headers["X-Cache"] == "miss"
    client.force_login(author)
    signed_in = client.get("/feeds/rss/latest/", HTTP_ACCEPT_ENCODING="gzip")
    assert signed_in.headers["X-Cache"] == "hit"
    assert signed_in.content == anonymous.content
    assert not signed_in.cookies
    # Pages are not: the home page of a signed-in reader is theirs.
    assert "X-Cache" not in client.get("/").headers


def test_a_summary_is_not_rerendered_by_a_soft_delete(site, monkeypatch):
    from summaries import models

    calls = []
    monkeypatch.setattr(models, "render_summary_source", lambda s: calls.append(s))
    delete_summary(summary=Summary.objects.get(pk=site["first"].pk))
    assert calls == []
    assert Summary.objects.get(pk=site["first"].pk).deleted_at is not None
