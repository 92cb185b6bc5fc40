import pytest

from papers.models import PaperAlias
from tests.conftest import make_paper, make_summary


def test_paper_page_shows_metadata_links_and_summary(client, summary):
    response = client.get("/paper/conf/nips/RenHGS15/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="paper-title">' in page
    assert (
        '<a href="/author/shaoqing-ren/">Shaoqing Ren</a>, '
        '<a href="/author/kaiming-he/">Kaiming He</a>' in page
    )
    assert 'href="/venue/conf/nips/"' in page
    assert 'href="/venue/conf/nips/2015/"' in page
    assert '<details class="abstract">' in page
    assert 'First published: <time datetime="2015-06-04">' in page
    assert "https://arxiv.org/abs/1506.01497" in page
    assert "https://arxiv.org/pdf/1506.01497" in page
    assert "scholar.google.com/scholar?q=Faster%20R-CNN" in page
    assert 'id="alice"' in page
    assert 'href="/user/alice/"' in page
    assert "The RPN proposes boxes" in page
    assert "noindex" not in page


def test_paper_without_summary_invites_one_and_is_not_indexed(client, paper):
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "No one has summarized this paper yet." in page
    assert '<meta name="robots" content="noindex">' in page


def test_summaries_are_ordered_best_first(client, paper, author, stranger):
    low = make_summary(paper, author, "the lower one")
    high = make_summary(paper, stranger, "the higher one")
    high.score = 3
    high.save()
    page = client.get(paper.get_absolute_url()).content.decode()
    assert page.index("the higher one") < page.index("the lower one")
    assert low.pk


def test_private_summary_is_shown_only_to_its_writer(client, paper, author, stranger):
    make_summary(paper, author, "only mine", is_private=True)
    assert "only mine" not in client.get(paper.get_absolute_url()).content.decode()
    client.force_login(stranger)
    assert "only mine" not in client.get(paper.get_absolute_url()).content.decode()
    client.force_login(author)
    assert "only mine" in client.get(paper.get_absolute_url()).content.decode()


def test_anonymous_summary_never_names_its_writer(client, paper, author):
    make_summary(paper, author, "who wrote this", is_anonymous=True)
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "who wrote this" in page
    assert "Anonymous" in page
    assert "alice" not in page.lower().replace("alice liddell", "")
    assert "Alice Liddell" not in page


@pytest.mark.parametrize(
    "key",
    ["journals/corr/1611.03530", "10.1038/nature16961", "conf/cvpr/HeZRS16", "a:b.c-(d)"],
)
def test_keys_with_slashes_dots_and_colons_resolve(client, db, key):
    make_paper(key, title="Keyed paper")
    assert client.get(f"/paper/{key}/").status_code == 200


def test_unknown_paper_is_a_friendly_404(client, db):
    response = client.get("/paper/conf/nips/Nobody99/")
    assert response.status_code == 404
    assert "This paper is not on ShortScience yet" in response.content.decode()
    assert 'href="/papers/add/?id=conf%2Fnips%2FNobody99"' in response.content.decode()


def test_alias_and_arxiv_id_redirect_to_the_canonical_key(client, paper):
    PaperAlias.objects.create(key="journals/corr/RenHG015", paper=paper)
    for url in [
        "/paper/journals/corr/RenHG015/",
        "/paper/1506.01497/",
        "/paper/DBLP:conf/nips/RenHGS15/",
    ]:
        response = client.get(url)
        assert response.status_code == 301, url
        assert response["Location"] == "/paper/conf/nips/RenHGS15/"


def test_doi_redirects_to_the_paper(client, db):
    make_paper("conf/cvpr/HeZRS16", doi="10.1109/cvpr.2016.90", title="ResNet")
    response = client.get("/paper/10.1109/cvpr.2016.90/")
    assert response.status_code == 301
    assert response["Location"] == "/paper/conf/cvpr/HeZRS16/"


def test_legacy_query_string_urls_redirect_permanently(client, paper, author):
    response = client.get("/paper", {"bibtexKey": "conf/nips/RenHGS15"})
    assert (response.status_code, response["Location"]) == (301, "/paper/conf/nips/RenHGS15/")
    response = client.get("/venue", {"key": "conf/nips", "year": "2015"})
    assert (response.status_code, response["Location"]) == (301, "/venue/conf/nips/2015/")
    response = client.get("/venue", {"key": "conf/nips"})
    assert (response.status_code, response["Location"]) == (301, "/venue/conf/nips/")
    response = client.get("/user", {"name": "alice"})
    assert (response.status_code, response["Location"]) == (301, "/user/alice/")
    assert client.get("/paper").status_code == 404


@pytest.mark.parametrize("count", [1, 30])
def test_paper_page_query_count_is_constant(client, paper, count, django_assert_max_num_queries):
    from accounts.models import User

    for i in range(count):
        make_summary(paper, User.objects.create_user(f"w{i}"), f"Summary {i}")
    with django_assert_max_num_queries(10):
        response = client.get(paper.get_absolute_url())
    assert response.content.decode().count('class="summary"') == count


@pytest.mark.parametrize(
    "identifier",
    [
        "arXiv:1506.01497",
        "1506.01497v3",
        "https://arxiv.org/abs/1506.01497",
        "DBLP:conf/nips/RenHGS15",
    ],
)
def test_every_page_of_a_paper_accepts_any_of_its_identifiers(client, summary, author, identifier):
    from papers.models import Paper

    paper = summary.paper
    assert Paper.objects.find(identifier) == paper
    page = client.get(f"/paper/{identifier}/", follow=True)
    assert page.status_code == 200 and paper.title in page.content.decode()
    feed = client.get(f"/feeds/rss/paper/{identifier}/")
    assert feed.status_code == 200 and "The RPN proposes boxes" in feed.content.decode()
    api = client.get(f"/api/papers/{identifier}/")
    assert api.status_code == 200 and api.json()["key"] == paper.bibtex_key
    client.force_login(author)
    editor = client.get(f"/paper/{identifier}/write/", follow=True)
    assert editor.status_code == 200 and "The RPN proposes boxes" in editor.content.decode()


def test_readers_see_no_bookkeeping_keyword_or_import_source(client, paper, author, moderator):
    from papers.models import Paper

    paper.set_keywords(["cs.CV", "dblp"])
    Paper.objects.filter(pk=paper.pk).update(source="BibTeX import")
    make_summary(paper, author, "Words.")
    for url in (paper.get_absolute_url(), "/"):
        page = client.get(url).content.decode()
        assert '<a href="/keyword/cs.CV/">cs.CV</a>' in page
        assert ">dblp</a>" not in page
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "BibTeX import" not in page and "Faster R-CNN" in page
    client.force_login(moderator)
    assert "BibTeX import" in client.get(paper.get_absolute_url()).content.decode()


def test_dates_are_written_one_way(client, paper, author):
    import datetime

    from summaries.models import Summary

    make_summary(paper, author, "Words.")
    Summary.objects.update(created=datetime.datetime(2016, 3, 9, 12, tzinfo=datetime.UTC))
    page = client.get(paper.get_absolute_url()).content.decode()
    assert 'First published: <time datetime="2015-06-04">Jun 4, 2015</time>' in page
    assert ">Mar 9, 2016</time>" in page
    profile = client.get("/user/alice/").content.decode()
    joined = profile.split("<dt>Joined</dt><dd>", 1)[1].split("<", 1)[0]
    assert joined[:3].isalpha() and joined[-4:].isdigit()  # "Dec 2026"
