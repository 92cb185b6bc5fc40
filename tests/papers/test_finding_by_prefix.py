"""Search matches word prefixes, finds writers by name, and lists venues as it names them."""

from accounts.models import User
from papers.models import Venue
from papers.search import search
from tests.conftest import make_paper, make_summary


def test_word_prefixes_find_the_paper(db):
    batch_norm = make_paper(
        "conf/icml/IoffeS15",
        title="Batch Normalization: Accelerating Deep Network Training",
        authors=["Sergey Ioffe", "Christian Szegedy"],
    )
    make_paper("conf/x/Other", title="Layer-wise training of deep belief networks")
    for query in ("batch norm", "Batch Normalization", "norm batch", "acceler ioff"):
        assert list(search(query)) == [batch_norm], query
    assert list(search("batch normalizers of graphs")) == []  # every word must match


def test_short_words_match_whole_and_punctuation_is_not_syntax(db):
    paper = make_paper("conf/x/Go", title="Go is a hard game for AI", authors=["A B"])
    assert list(search("go ai")) == [paper]
    assert list(search("g")) == []  # a one-letter prefix would match nearly everything
    for nasty in ('"batch', "norm*", "a:* | b", "(x", "-", "&&", "NEAR(a b)", "_"):
        list(search(nasty))  # no syntax error on either database


def test_writers_are_found_by_name_on_the_search_page(client, paper, author, stranger):
    make_summary(paper, author, "A summary.")
    page = client.get("/search/", {"q": "liddell"}).content.decode()
    assert '<h2 id="writers-found">Writers</h2>' in page
    assert '<a href="/user/alice/">Alice Liddell</a>' in page
    # Someone with no public summary is not listed as a writer.
    assert "writers-found" not in client.get("/search/", {"q": "mallory"}).content.decode()


def test_the_venue_filter_is_sorted_by_the_names_it_shows(client, db):
    page = client.get("/search/").content.decode()
    select = page.split('name="venue"', 1)[1].split("</select>", 1)[0]
    shown = [option.split(">", 1)[1].split("<", 1)[0] for option in select.split("<option")[2:]]
    assert shown == sorted(shown, key=str.lower)
    assert len(shown) == Venue.objects.count()


def test_a_short_name_already_in_the_venue_name_is_not_repeated(db):
    arxiv = Venue(
        key="journals/x", name="arXiv (Computing Research Repository)", short_name="arXiv"
    )
    assert arxiv.label == "arXiv (Computing Research Repository)"
    icml = Venue(
        key="conf/y", name="International Conference on Machine Learning", short_name="ICML"
    )
    assert icml.label == "International Conference on Machine Learning (ICML)"


def test_venues_without_summaries_are_listed_apart(client, summary):
    page = client.get("/venues/").content.decode()
    table, rest = page.split("</table>", 1)
    assert summary.paper.venue.label in table
    assert "ICML" not in table  # installed, but nobody summarized an ICML paper here
    assert "more venues without summaries yet" in rest
    assert "International Conference on Machine Learning (ICML)" in rest


def test_writer_search_ignores_banned_writers(client, paper, author):
    make_summary(paper, author, "A summary.")
    from django.utils import timezone

    User.objects.filter(pk=author.pk).update(banned_at=timezone.now())
    assert "writers-found" not in client.get("/search/", {"q": "alice"}).content.decode()
