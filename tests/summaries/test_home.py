import datetime

import pytest
from django.utils import timezone

from accounts.models import User
from tests.conftest import make_paper, make_summary


def _many_summaries(count, venue):
    writers = [User.objects.create_user(f"writer{i}") for i in range(count)]
    for i, writer in enumerate(writers):
        paper = make_paper(f"conf/nips/Paper{i}", venue=venue, title=f"Paper number {i}")
        paper.set_keywords(["dblp", "cs.LG"])
        make_summary(paper, writer, f"Summary {i} with $x_{i}$ math.")


def test_home_lists_public_summary_under_its_paper(client, summary):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Faster R-CNN: Towards Real-Time Object Detection" in page
    assert '>Ross Girshick</a>, <a href="/author/jian-sun/">Jian Sun</a>' in page
    assert "NeurIPS</a> - <a" in page  # "Venue - Year"
    assert "The RPN proposes boxes from shared features." in page
    assert f'href="/paper/conf/nips/RenHGS15/#{summary.author.username}"' in page
    assert "[link]" in page
    assert "The site has 1 public summary" in page


def test_home_hides_private_deleted_and_hidden_summaries(client, paper, author, stranger):
    make_summary(paper, author, "secret words", is_private=True)
    other = make_paper("conf/nips/Other15", title="Another paper")
    make_summary(other, stranger, "hidden words", state="hidden")
    third = make_paper("conf/nips/Third15", title="Third paper")
    make_summary(third, author, "deleted words", deleted_at=timezone.now())
    page = client.get("/").content.decode()
    assert "secret words" not in page
    assert "hidden words" not in page
    assert "deleted words" not in page
    assert "The site has 0 public summaries" in page


@pytest.mark.parametrize("tab", ["popular", "recent", "top"])
def test_home_tabs_answer_and_mark_the_current_tab(client, summary, tab):
    response = client.get("/", {"tab": tab})
    assert response.status_code == 200
    from summaries.views import HOME_TABS

    expected = 'href="/" ' if tab == next(iter(HOME_TABS)) else f'href="?tab={tab}" '
    assert expected in response.content.decode()
    assert 'aria-current="page"' in response.content.decode()


def test_top_tab_ranks_by_score_and_recent_by_edit_time(client, venue, author, stranger):
    old = make_summary(make_paper("conf/nips/Old", venue=venue, title="Old but loved"), author)
    new = make_summary(make_paper("conf/nips/New", venue=venue, title="New and unloved"), stranger)
    old.score = 5
    old.edited = timezone.now() - datetime.timedelta(days=30)
    old.save()
    top = client.get("/?tab=top").content.decode()
    recent = client.get("/?tab=recent").content.decode()
    assert top.index("Old but loved") < top.index("New and unloved")
    assert recent.index("New and unloved") < recent.index("Old but loved")
    assert new.pk


def test_home_paginates(client, venue, settings):
    settings.PAGE_SIZE = 2
    _many_summaries(3, venue)
    first = client.get("/").content.decode()
    assert "Page 1 of 2" in first
    assert client.get("/?page=2").status_code == 200


def test_a_page_number_out_of_range_or_not_a_number_shows_the_nearest_page(client, venue, settings):
    settings.PAGE_SIZE = 2
    _many_summaries(3, venue)
    last = client.get("/?tab=recent&page=99")
    assert last.status_code == 200
    assert "Page 2 of 2" in last.content.decode()
    assert "Paper number 0" in last.content.decode()  # the oldest, alone on the last page
    for nonsense in ("abc", "0", "-3", ""):
        first = client.get(f"/?tab=recent&page={nonsense}")
        assert first.status_code == 200
        assert "Page 1 of 2" in first.content.decode()
        assert "Paper number 2" in first.content.decode()


def test_long_lists_link_to_page_numbers_around_the_current_one(client, venue, settings):
    settings.PAGE_SIZE = 1
    _many_summaries(12, venue)
    page = client.get("/?tab=recent&page=6").content.decode()
    assert 'aria-current="page">6<' in page
    for number in (1, 4, 5, 7, 8, 12):
        assert f'page={number}" aria-label="Page {number}"' in page
    assert 'aria-label="Page 2"' not in page and 'aria-label="Page 10"' not in page
    assert "…" in page


@pytest.mark.parametrize("count", [1, 30])
def test_home_query_count_does_not_grow_with_items(
    client, venue, count, settings, django_assert_max_num_queries
):
    settings.PAGE_SIZE = 50
    _many_summaries(count, venue)
    with django_assert_max_num_queries(8):
        response = client.get("/")
    assert response.content.decode().count('class="card"') == count


def test_about_page_explains_syntax_and_counts(client, summary):
    response = client.get("/about/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "\\cite{conf/nips/RenHGS15}" in page
    assert "$E = mc^2$" in page
    assert "<strong>1</strong> public summaries" in page


def test_the_first_tab_is_the_one_the_home_page_opens_on(client, summary):
    from summaries.views import HOME_TABS

    first = next(iter(HOME_TABS))
    page = client.get("/").content.decode()
    label = HOME_TABS[first][0]
    assert f'aria-current="page" class="active">{label}</a>' in page
    assert page.index(f">{label}</a>") < min(
        page.index(f">{other[0]}</a>") for key, other in HOME_TABS.items() if key != first
    )
