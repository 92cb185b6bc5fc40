import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from accounts.models import User
from tests.conftest import make_paper, make_summary

ATOM = "{http://www.w3.org/2005/Atom}"


def rss_items(response):
    """Check the RSS 2.0 shape a reader relies on and return the items as dicts."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for required in ("title", "link", "description"):
        assert channel.findtext(required), required
    items = []
    for item in channel.findall("item"):
        for required in ("title", "link", "description", "guid", "pubDate"):
            assert item.findtext(required), required
        items.append({child.tag: child.text for child in item})
    return items


def atom_entries(response):
    """Check the Atom 1.0 shape (RFC 4287 required elements) and return the entries."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.findtext(f"{ATOM}{required}"), required
    entries = []
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{required}"), required
        assert entry.find(f"{ATOM}link").get("href").startswith("http")
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html"
        entries.append(
            {
                "title": entry.findtext(f"{ATOM}title"),
                "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
                "content": content.text,
                "link": entry.find(f"{ATOM}link").get("href"),
            }
        )
    return entries


@pytest.fixture
def keyworded(summary):
    summary.paper.set_keywords(["cs.CV", "dblp"])
    return summary


FEED_URLS = [
    "/feeds/{fmt}/latest/",
    "/feeds/{fmt}/top/",
    "/feeds/{fmt}/paper/conf/nips/RenHGS15/",
    "/feeds/{fmt}/venue/conf/nips/",
    "/feeds/{fmt}/user/alice/",
    "/feeds/{fmt}/keyword/cs.CV/",
]


@pytest.mark.parametrize("url", FEED_URLS)
def test_every_feed_validates_as_rss_and_atom_and_lists_the_summary(client, keyworded, url):
    items = rss_items(client.get(url.format(fmt="rss")))
    entries = atom_entries(client.get(url.format(fmt="atom")))
    assert [i["title"] for i in items] == [keyworded.paper.title]
    assert [e["title"] for e in entries] == [keyworded.paper.title]
    assert b"<category>cs.CV</category>" in client.get(url.format(fmt="rss")).content


def test_entries_carry_the_whole_summary_and_the_papers_key_and_arxiv_id(client, paper, author):
    make_summary(paper, author, "First paragraph.\n\nSecond paragraph with $x^2$ and \\cite{nope}.")
    for text in (
        rss_items(client.get("/feeds/rss/latest/"))[0]["description"],
        atom_entries(client.get("/feeds/atom/latest/"))[0]["content"],
    ):
        assert "First paragraph." in text and "Second paragraph" in text
        assert "<code>conf/nips/RenHGS15</code>" in text
        assert 'href="https://arxiv.org/abs/1506.01497">1506.01497</a>' in text
        assert 'href="/' not in text  # site links made absolute for readers
    item = rss_items(client.get("/feeds/rss/latest/"))[0]
    assert item["link"].endswith("/paper/conf/nips/RenHGS15/#alice")


def test_top_feed_ranks_by_score_and_latest_by_recency(client, venue, author, stranger):
    loved = make_summary(make_paper("conf/nips/Loved", venue=venue, title="Loved"), author)
    loved.score = 9
    loved.edited = timezone.now() - timezone.timedelta(days=9)
    loved.save()
    make_summary(make_paper("conf/nips/Fresh", venue=venue, title="Fresh"), stranger)
    assert [i["title"] for i in rss_items(client.get("/feeds/rss/top/"))] == ["Loved", "Fresh"]
    assert [i["title"] for i in rss_items(client.get("/feeds/rss/latest/"))] == ["Fresh", "Loved"]


@pytest.mark.parametrize("url", FEED_URLS)
def test_feeds_never_carry_private_hidden_or_deleted_summaries(
    client, keyworded, stranger, moderator, url
):
    paper = keyworded.paper
    keyworded.is_private = True
    keyworded.save()
    make_summary(paper, stranger, "hidden words", state="hidden")
    make_summary(paper, moderator, "deleted words", deleted_at=timezone.now())
    for fmt in ("rss", "atom"):
        response = client.get(url.format(fmt=fmt))
        assert b"<item>" not in response.content and b"<entry>" not in response.content
        assert b"hidden words" not in response.content
        assert b"deleted words" not in response.content


def test_anonymous_summary_is_bylined_anonymous_and_left_out_of_its_writers_feed(
    client, paper, author
):
    make_summary(paper, author, "Unsigned thoughts.", is_anonymous=True)
    entries = atom_entries(client.get("/feeds/atom/paper/conf/nips/RenHGS15/"))
    assert [e["author"] for e in entries] == ["Anonymous"]
    assert "#summary-" in entries[0]["link"]
    for fmt in ("rss", "atom"):
        for url in ("/feeds/{fmt}/latest/", "/feeds/{fmt}/paper/conf/nips/RenHGS15/"):
            body = client.get(url.format(fmt=fmt)).content.decode()
            assert "alice" not in body.lower()
    assert rss_items(client.get("/feeds/rss/user/alice/")) == []


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/rss/paper/conf/nips/Nope/",
        "/feeds/atom/venue/conf/nope/",
        "/feeds/rss/user/nobody/",
        "/feeds/atom/keyword/nothing/",
    ],
)
def test_feed_of_something_unknown_is_404(client, db, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        ("/", "/feeds/atom/latest/"),
        ("/paper/conf/nips/RenHGS15/", "/feeds/atom/paper/conf/nips/RenHGS15/"),
        ("/venue/conf/nips/", "/feeds/rss/venue/conf/nips/"),
        ("/user/alice/", "/feeds/atom/user/alice/"),
        ("/keyword/cs.CV/", "/feeds/rss/keyword/cs.CV/"),
    ],
)
def test_pages_announce_their_feeds_in_head(client, keyworded, page, feed):
    head = client.get(page).content.decode().split("</head>")[0]
    assert '<link rel="alternate" type="application/' in head
    assert f'href="{feed}"' in head


@pytest.mark.parametrize("count", [1, 30])
def test_feed_query_count_is_constant(client, venue, count, django_assert_max_num_queries):
    for i in range(count):
        paper = make_paper(f"conf/nips/P{i}", venue=venue, title=f"P{i}")
        paper.set_keywords(["cs.LG"])
        make_summary(paper, User.objects.create_user(f"w{i}"), f"Summary {i}")
    with django_assert_max_num_queries(6):
        assert len(rss_items(client.get("/feeds/rss/latest/"))) == count
    with django_assert_max_num_queries(6):
        assert len(atom_entries(client.get("/feeds/atom/venue/conf/nips/"))) == count


def test_formulas_reach_feed_readers_once_as_mathml(client, paper, author):
    make_summary(paper, author, "Inline $x^2$, a display $$\\frac{a}{b}$$ and <span>text</span>.")
    for text in (
        rss_items(client.get("/feeds/rss/latest/"))[0]["description"],
        atom_entries(client.get("/feeds/atom/latest/"))[0]["content"],
    ):
        # Without KaTeX's stylesheet its HTML layout would show each formula a second time.
        assert "katex-html" not in text
        assert text.count("<math") == 2
        assert "<mfrac><mi>a</mi><mi>b</mi></mfrac>" in text
        assert text.count("<span") == text.count("</span>")
        assert "text" in text and text.rstrip().endswith("</p>")


def test_mathml_only_leaves_html_it_cannot_match_as_it_is():
    from summaries.feeds import mathml_only

    unbalanced = '<p><span class="katex-html" aria-hidden="true"><span>x</span></p>'
    assert mathml_only(unbalanced) == unbalanced
    assert mathml_only("<p>No formulas.</p>") == "<p>No formulas.</p>"
