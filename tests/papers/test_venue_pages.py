import pytest

from accounts.models import User
from papers.models import Venue
from tests.conftest import make_paper, make_summary


def test_venue_list_counts_public_summaries(client, summary, stranger, venue):
    empty, _ = Venue.objects.update_or_create(
        key="conf/icml", defaults={"name": "International Conference on Machine Learning"}
    )
    private_paper = make_paper("conf/nips/Private", venue=venue)
    make_summary(private_paper, stranger, "hush", is_private=True)
    response = client.get("/venues/")
    assert response.status_code == 200
    rows = response.content.decode()
    nips = "Neural Information Processing Systems (NeurIPS)"
    assert f'<a href="/venue/conf/nips/">{nips}</a></td><td class="num">1</td>' in rows
    # A venue nobody summarized is listed apart, under the table.
    assert f'<li><a href="/venue/conf/icml/">{empty.label}</a></li>' in rows.split("</table>")[1]


def test_venue_page_has_a_tab_per_year_and_filters_by_year(client, venue, author):
    make_summary(make_paper("conf/nips/A15", venue=venue, year=2015, title="Paper of 2015"), author)
    make_summary(make_paper("conf/nips/B17", venue=venue, year=2017, title="Paper of 2017"), author)
    page = client.get("/venue/conf/nips/").content.decode()
    assert 'href="/venue/conf/nips/2015/"' in page and 'href="/venue/conf/nips/2017/"' in page
    assert "Paper of 2015" in page and "Paper of 2017" in page
    year_page = client.get("/venue/conf/nips/2017/").content.decode()
    assert "Paper of 2017" in year_page and "Paper of 2015" not in year_page
    assert "<h1>Neural Information Processing Systems 2017</h1>" in year_page


def test_unknown_venue_is_404(client, db):
    assert client.get("/venue/conf/nowhere/").status_code == 404


def test_year_page_lists_summaries_of_that_year(client, venue, author):
    make_summary(make_paper("conf/nips/A15", venue=venue, year=2015, title="Paper of 2015"), author)
    make_summary(make_paper("conf/nips/B17", venue=venue, year=2017, title="Paper of 2017"), author)
    page = client.get("/year/2015/").content.decode()
    assert "Paper of 2015" in page and "Paper of 2017" not in page


@pytest.mark.parametrize("count", [1, 30])
@pytest.mark.parametrize(
    "url", ["/venue/conf/nips/", "/venue/conf/nips/2015/", "/year/2015/", "/venues/"]
)
def test_venue_and_year_pages_query_count_is_constant(
    client, venue, count, url, settings, django_assert_max_num_queries
):
    settings.PAGE_SIZE = 50
    for i in range(count):
        paper = make_paper(f"conf/nips/P{i}", venue=venue, year=2015, title=f"P{i}")
        make_summary(paper, User.objects.create_user(f"w{i}"))
        Venue.objects.create(key=f"conf/v{i}", name=f"Venue {i}")
    with django_assert_max_num_queries(9):
        response = client.get(url)
    assert response.status_code == 200
