"""The original site's addresses still work: its feeds (with the fields bots read), search
URLs, account URLs, query-string paper links and tab names; and HEAD is answered wherever GET
is."""

import xml.etree.ElementTree as ET

import pytest

from summaries.legacy_feeds import NAMESPACE
from tests.conftest import make_paper, make_summary

NS = {"shortscience": NAMESPACE, "atom": "http://www.w3.org/2005/Atom"}


def items(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    return ET.fromstring(response.content).findall("./channel/item")


def test_rss_items_carry_key_arxiv_id_and_votes_in_their_namespace(client, summary):
    summary.score = 7
    summary.save()
    for path in ("/rss.xml", "/rss-all.xml", "/rss-full.xml"):
        [item] = items(client.get(path))
        assert item.findtext("shortscience:bibtexkey", namespaces=NS) == "conf/nips/RenHGS15"
        assert item.findtext("shortscience:arxivid", namespaces=NS) == "1506.01497"
        assert item.findtext("shortscience:votes", namespaces=NS) == "7"
        assert item.findtext("title").startswith("Faster R-CNN")


def test_rss_full_has_the_whole_text_and_rss_an_excerpt(client, paper, author):
    long_text = "Intro paragraph. " + " ".join(f"word{i}" for i in range(300)) + " *ending*"
    make_summary(paper, author, long_text)
    full = items(client.get("/rss-full.xml"))[0].findtext("description")
    short = items(client.get("/rss.xml"))[0].findtext("description")
    assert "<em>ending</em>" in full
    assert "word10" in short and "word299" not in short and "<p>" not in short


def test_private_summaries_stay_out_of_old_feeds(client, paper, author):
    make_summary(paper, author, "A secret note.", is_private=True)
    for path in ("/rss.xml", "/rss-all.xml", "/rss-full.xml"):
        response = client.get(path)
        assert items(response) == [] and b"secret" not in response.content


def test_rss_all_lists_every_public_summary_newest_first_in_pages(client, venue, author, settings):
    papers = [make_paper(f"conf/nips/P{i:02d}", venue=venue) for i in range(52)]
    for paper in papers:
        make_summary(paper, author, f"About {paper.bibtex_key}.")
    first = client.get("/rss-all.xml")
    keys = [i.findtext("shortscience:bibtexkey", namespaces=NS) for i in items(first)]
    assert keys[:2] == ["conf/nips/P51", "conf/nips/P50"] and len(keys) == 50
    channel = ET.fromstring(first.content).find("channel")
    links = {link.get("rel"): link.get("href") for link in channel.findall("atom:link", NS)}
    assert links["next"] == settings.SITE_URL + "/rss-all.xml?page=2" and "previous" not in links
    second = client.get("/rss-all.xml?page=2")
    keys2 = [i.findtext("shortscience:bibtexkey", namespaces=NS) for i in items(second)]
    assert keys2 == ["conf/nips/P01", "conf/nips/P00"]
    assert client.get("/rss-all.xml?page=3").status_code == 404
    assert client.get("/rss-all.xml?page=x").status_code == 404


def test_rss_all_query_count_does_not_grow_with_items(
    client, venue, author, django_assert_max_num_queries
):
    for i in range(10):
        make_summary(make_paper(f"conf/nips/Q{i}", venue=venue), author, "Text.")
    with django_assert_max_num_queries(6):
        assert len(items(client.get("/rss-all.xml"))) == 10


@pytest.mark.parametrize(
    "old, new",
    [
        ("/internalsearch?q=attention", "/search/?q=attention"),
        ("/search?term=attention", "/search/?q=attention"),
        ("/search?term=faster%20rcnn&venue=conf/nips", "/search/?q=faster+rcnn&venue=conf%2Fnips"),
        ("/login", "/accounts/login/"),
        ("/login?next=/about/", "/accounts/login/?next=/about/"),
        ("/signup", "/accounts/signup/"),
        ("/settings", "/accounts/settings/"),
        ("/recover", "/accounts/password/reset/"),
        ("/export", "/accounts/settings/#your-data"),
        ("/paper?bibtexKey=conf/nips/RenHGS15", "/paper/conf/nips/RenHGS15/"),
        ("/paper?bibtexKey=conf/nips/RenHGS15&a=alice", "/paper/conf/nips/RenHGS15/#alice"),
        ("/paper?bibtexKey=conf/nips/RenHGS15&a=<x>", "/paper/conf/nips/RenHGS15/"),
    ],
)
def test_old_addresses_move_permanently_to_todays_pages(client, db, old, new):
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == new


def test_old_search_addresses_end_on_the_results(client, summary):
    page = client.get("/search?term=proposes", follow=True)
    assert page.status_code == 200 and "Faster R-CNN" in page.content.decode()
    page = client.get("/internalsearch?q=1506.01497", follow=True)
    assert page.redirect_chain[-1][0] == "/paper/conf/nips/RenHGS15/"


def test_old_writer_link_opens_that_writers_summary(client, summary):
    page = client.get("/paper?bibtexKey=conf/nips/RenHGS15&a=alice", follow=True)
    assert page.redirect_chain == [("/paper/conf/nips/RenHGS15/#alice", 301)]
    assert 'id="alice"' in page.content.decode()


def test_old_logout_asks_before_logging_out(client, author):
    assert client.get("/logout")["Location"] == "/"
    client.force_login(author)
    page = client.get("/logout")
    assert page.status_code == 200 and 'action="/accounts/logout/"' in page.content.decode()
    assert client.get("/accounts/settings/").status_code == 200  # still signed in
    client.post("/accounts/logout/")
    assert client.get("/accounts/settings/").status_code == 302


def test_best_tab_is_the_top_tab(client, summary):
    page = client.get("/?tab=best").content.decode()
    assert (
        'href="?tab=top" title="Highest-scored summaries of all time" aria-current="page"' in page
    )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/paper/conf/nips/RenHGS15/",
        "/robots.txt",
        "/rss.xml",
        "/feeds/rss/latest/",
        "/about/",
        "/venues/",
        "/user/alice/",
        "/sitemap.xml",
        "/api/papers/1506.01497/",
    ],
)
def test_head_is_answered_wherever_get_is(client, summary, path):
    get = client.get(path)
    head = client.head(path)
    assert get.status_code == head.status_code == 200, path
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"]
    assert int(head["Content-Length"]) == len(get.content)


def test_head_of_a_missing_page_is_404_and_of_a_post_only_url_405(client, summary):
    assert client.head("/paper/conf/nips/Nothing/").status_code == 404
    assert client.head(f"/summaries/{summary.pk}/vote/").status_code == 405


def test_head_is_answered_from_the_page_cache_too(client, summary, settings):
    settings.PAGE_CACHE_SECONDS = 600
    client.get("/")
    head = client.head("/")
    assert head.status_code == 200 and head["X-Cache"] == "hit" and head.content == b""
