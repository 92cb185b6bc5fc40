"""Page views: counted per paper and day for readers (not bots, not repeats within the hour),
whether the page came from the page cache or not, without a query on the page, and shown."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers import viewcounts
from papers.models import Paper, PaperViewDay
from summaries.moderation import merge_papers
from tests.conftest import make_paper, make_summary

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
OTHER_BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1"
PAGE = "/paper/conf/nips/RenHGS15/"


def read(client, path=PAGE, *, agent=BROWSER, address="203.0.113.9"):
    return client.get(path, HTTP_USER_AGENT=agent, REMOTE_ADDR=address)


def views_of(paper):
    paper.refresh_from_db()
    return paper.view_count


def test_a_reader_counts_once_an_hour_and_another_reader_counts_too(client, paper):
    assert read(client).status_code == 200
    assert read(client).status_code == 200  # a reload
    read(client, address="198.51.100.7")
    read(client, agent=OTHER_BROWSER)  # another browser behind the same address
    assert viewcounts.flush() == 3
    assert views_of(paper) == 3
    today = PaperViewDay.objects.get(paper=paper)
    assert today.day == datetime.datetime.now(datetime.UTC).date() and today.views == 3


def test_after_the_hour_the_same_reader_counts_again(client, paper):
    read(client)
    cache.clear()  # what an hour does to the repeat marks
    read(client)
    viewcounts.flush()
    assert views_of(paper) == 2


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "",
    ],
    ids=["googlebot", "bingbot", "curl", "requests", "no-agent"],
)
def test_bots_and_scripts_are_not_counted(client, paper, agent):
    response = read(client, agent=agent)
    assert response.status_code == 200 and paper.title in response.content.decode()
    assert viewcounts.flush() == 0
    assert views_of(paper) == 0


def test_only_paper_pages_that_answer_count(client, paper):
    assert read(client, "/paper/conf/nips/RenHGS15/bibtex/").status_code == 200
    assert read(client, "/paper/conf/nips/Nothing99/").status_code == 404
    assert client.head(PAGE, HTTP_USER_AGENT=BROWSER).status_code == 200
    assert viewcounts.flush() == 0
    read(client)
    assert viewcounts.flush() == 1


def test_views_of_pages_served_from_the_page_cache_count(client, paper, settings):
    settings.PAGE_CACHE_SECONDS = 600
    assert read(client).headers["X-Cache"] == "miss"
    hit = read(client, address="198.51.100.7")
    assert hit.headers["X-Cache"] == "hit"
    viewcounts.flush()
    assert views_of(paper) == 2


def test_counting_adds_no_query_to_a_page(client, paper, settings, django_assert_num_queries):
    settings.PAGE_CACHE_SECONDS = 600
    read(client)
    # A hit reads the page and its versions (from the database without Redis), no more.
    with CaptureQueriesContext(connection) as hit_uncounted:
        assert read(client, agent="Googlebot/2.1").headers["X-Cache"] == "hit"
    with CaptureQueriesContext(connection) as hit_counted:
        assert read(client, address="198.51.100.7").headers["X-Cache"] == "hit"
    assert len(hit_counted) == len(hit_uncounted) <= 2
    settings.PAGE_CACHE_SECONDS = 0
    with CaptureQueriesContext(connection) as uncounted:
        read(client, agent="Googlebot/2.1")
    with CaptureQueriesContext(connection) as counted:
        read(client, address="192.0.2.44")
    assert len(counted) == len(uncounted)
    assert viewcounts.buffer.pending()  # counted, waiting for the batch
    viewcounts.flush()
    assert views_of(paper) == 3


def test_a_batch_is_written_after_the_response_that_fills_it(client, paper, settings):
    settings.VIEW_FLUSH_VIEWS = 2
    read(client)
    assert views_of(paper) == 0
    read(client, address="198.51.100.7")
    assert views_of(paper) == 2
    assert not viewcounts.buffer.pending()


def test_batches_add_up_over_days_and_processes(client, paper):
    yesterday = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1)
    PaperViewDay.objects.create(paper=paper, day=yesterday, views=5)
    read(client)
    viewcounts.flush()
    read(client, address="198.51.100.7")
    viewcounts.flush()
    assert PaperViewDay.objects.get(paper=paper, day=yesterday).views == 5
    assert PaperViewDay.objects.exclude(day=yesterday).get(paper=paper).views == 2


def test_no_address_is_stored(client, paper):
    read(client, address="203.0.113.9")
    viewcounts.flush()
    stored = [str(row) for row in PaperViewDay.objects.values_list()]
    keys = list(cache._cache)  # the local-memory cache of the tests
    assert stored and keys
    assert not any("203.0.113.9" in text for text in stored + keys)


def test_the_paper_page_shows_its_view_count(client, paper):
    Paper.objects.filter(pk=paper.pk).update(view_count=1234)
    page = client.get(PAGE).content.decode()
    assert '<dt>Views</dt><dd class="view-count">1234</dd>' in page


def test_popular_today_lists_the_papers_most_read_today_first(client, venue, author):
    quiet = make_paper("conf/nips/Quiet15", venue=venue, title="A quiet paper")
    read_today = make_paper("conf/nips/Read15", venue=venue, title="A much read paper")
    read_before = make_paper("conf/nips/Before15", venue=venue, title="Read the day before")
    for paper in (read_today, read_before, quiet):  # the quiet one is newest
        make_summary(paper, author, f"On {paper.title}.")
    today = datetime.datetime.now(datetime.UTC).date()
    PaperViewDay.objects.create(paper=read_today, day=today, views=3)
    PaperViewDay.objects.create(paper=read_before, day=today - datetime.timedelta(days=1), views=90)
    page = client.get("/").content.decode()
    assert 'aria-current="page" class="active">Popular today</a>' in page
    order = [page.index(f"On {p.title}.") for p in (read_today, quiet, read_before)]
    assert order == sorted(order)


def test_popular_today_pages_run_on_from_the_read_papers_to_the_rest(
    client, venue, author, settings
):
    settings.PAGE_SIZE = 2
    today = datetime.datetime.now(datetime.UTC).date()
    titles = []
    for i in range(5):
        paper = make_paper(f"conf/nips/Page{i}", venue=venue, title=f"Paper number {i}")
        make_summary(paper, author, f"On paper number {i}.")
        if i < 3:  # read today, the most read first: 0, 1, 2; then the newest first: 4, 3
            PaperViewDay.objects.create(paper=paper, day=today, views=10 - i)
        titles.append(f"On paper number {i}.")
    seen = []
    for number in (1, 2, 3):
        page = client.get("/", {"page": number}).content.decode()
        seen += sorted((page.index(t), t) for t in titles if t in page)
    assert [t for _, t in seen] == [titles[0], titles[1], titles[2], titles[4], titles[3]]
    assert titles[3] in client.get("/", {"page": 4}).content.decode()  # clamped to the last


def test_merging_a_duplicate_keeps_its_views(paper, venue, moderator):
    duplicate = make_paper("journals/corr/RenHG15", venue=venue, title="Faster R-CNN (arXiv)")
    today = datetime.datetime.now(datetime.UTC).date()
    yesterday = today - datetime.timedelta(days=1)
    PaperViewDay.objects.create(paper=paper, day=today, views=2)
    PaperViewDay.objects.create(paper=duplicate, day=today, views=3)
    PaperViewDay.objects.create(paper=duplicate, day=yesterday, views=4)
    Paper.objects.filter(pk=paper.pk).update(view_count=2)
    Paper.objects.filter(pk=duplicate.pk).update(view_count=7)
    merge_papers(keep=paper, duplicate=duplicate, moderator=moderator)
    assert dict(PaperViewDay.objects.filter(paper=paper).values_list("day", "views")) == {
        today: 5,
        yesterday: 4,
    }
    assert views_of(paper) == 9
