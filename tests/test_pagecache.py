"""The whole-page cache serves anonymous readers only what every reader would see, and never
anything older than the last write."""

import pytest
from django.core.cache import cache

from tests.conftest import make_summary


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


def test_second_anonymous_view_is_served_from_cache_without_queries(
    client, summary, django_assert_num_queries
):
    assert client.get("/").headers["X-Cache"] == "miss"
    with django_assert_num_queries(0):
        response = client.get("/")
    assert response.headers["X-Cache"] == "hit"
    assert "The RPN proposes boxes" in response.content.decode()
    assert "Content-Security-Policy" in response.headers


def test_a_write_is_visible_to_the_next_anonymous_reader(client, summary, stranger):
    client.get("/")
    writer = type(client)()
    writer.force_login(stranger)
    # Any successful POST counts as a write; the logout form is the simplest one.
    assert writer.post("/accounts/logout/").status_code == 302
    summary.source = "A completely new text."
    summary.save()
    response = client.get("/")
    assert response.headers["X-Cache"] == "miss"
    assert "A completely new text." in response.content.decode()


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
    anonymous = type(client)()
    page = anonymous.get(paper.get_absolute_url()).content.decode()
    assert "only mine" not in page


def test_pages_with_a_csrf_token_or_cookie_are_not_stored(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "X-Cache" not in response.headers
    assert "csrftoken" in response.cookies


def test_errors_are_not_cached(client, db):
    assert client.get("/paper/conf/nowhere/X/").status_code == 404
    assert "X-Cache" not in client.get("/paper/conf/nowhere/X/").headers


def test_off_by_default_without_a_shared_cache(settings):
    from shortscience import settings as project_settings

    assert project_settings.REDIS_URL or project_settings.PAGE_CACHE_SECONDS == 0


def test_cached_pages_go_compressed_to_clients_that_accept_gzip(client, summary):
    import gzip

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
    anonymous = type(client)().get("/feeds/rss/latest/", HTTP_ACCEPT_ENCODING="gzip")
    assert anonymous.headers["X-Cache"] == "miss"
    client.force_login(author)
    signed_in = client.get("/feeds/rss/latest/", HTTP_ACCEPT_ENCODING="gzip")
    assert signed_in.headers["X-Cache"] == "hit"
    assert signed_in.content == anonymous.content
    assert not signed_in.cookies
    # Pages are not: the home page of a signed-in reader is theirs.
    assert "X-Cache" not in client.get("/").headers
