"""A writer sees how often the papers they summarized were read: totals and a chart of the
last 90 days, drawn as SVG on their own settings page, and no one else sees it."""

import datetime
import xml.etree.ElementTree as ET

from papers.models import Paper, PaperViewDay
from tests.conftest import make_paper, make_summary

SVG = "{http://www.w3.org/2000/svg}"


def test_writer_sees_views_of_their_papers_with_a_chart(client, summary, author, stranger, venue):
    today = datetime.datetime.now(datetime.UTC).date()
    other = make_paper("conf/nips/Other15", venue=venue, title="Someone else's paper")
    make_summary(other, stranger, "Not alice's.")
    PaperViewDay.objects.create(paper=summary.paper, day=today, views=4)
    PaperViewDay.objects.create(
        paper=summary.paper, day=today - datetime.timedelta(days=10), views=2
    )
    PaperViewDay.objects.create(
        paper=summary.paper, day=today - datetime.timedelta(days=200), views=50
    )
    PaperViewDay.objects.create(paper=other, day=today, views=99)
    Paper.objects.filter(pk=summary.paper.pk).update(view_count=56)
    client.force_login(author)
    page = client.get("/accounts/settings/")
    text = page.content.decode()
    assert page.status_code == 200 and "Views of the papers you summarized" in text
    assert "6 views in the last 90 days" in text and "56 in all" in text
    assert '<td class="num">6</td><td class="num">56</td>' in text
    assert "Someone else" not in text

    start = text.index('<svg class="views-chart"')
    svg = ET.fromstring(text[start : text.index("</svg>", start) + 6])
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == 90
    titles = [bar.findtext(f"{SVG}title") for bar in bars]
    assert titles[-1] == f"{today:%Y-%m-%d}: 4 views"
    assert titles[-11] == f"{today - datetime.timedelta(days=10):%Y-%m-%d}: 2 views"
    assert float(bars[-1].get("height")) > float(bars[-11].get("height")) > 0
    assert "<script" not in text[start : text.index("</svg>", start)]


def test_a_writer_without_summaries_is_told_what_will_appear(client, stranger):
    client.force_login(stranger)
    text = client.get("/accounts/settings/").content.decode()
    assert "Once you summarize papers, you will see here how often" in text


def test_settings_page_query_count_does_not_grow_with_papers(
    client, author, venue, django_assert_max_num_queries
):
    make_summary(make_paper("conf/nips/One", venue=venue), author, "One.")
    client.force_login(author)
    with django_assert_max_num_queries(12) as first:
        client.get("/accounts/settings/")
    for i in range(10):
        make_summary(make_paper(f"conf/nips/Many{i}", venue=venue), author, "More.")
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get("/accounts/settings/").status_code == 200


def test_others_cannot_see_a_writers_views(client, summary, stranger):
    PaperViewDay.objects.create(
        paper=summary.paper, day=datetime.datetime.now(datetime.UTC).date(), views=4
    )
    assert "Views of the papers" not in client.get("/user/alice/").content.decode()
    assert client.get("/accounts/settings/").status_code == 302
    client.force_login(stranger)
    assert "4 views" not in client.get("/accounts/settings/").content.decode()


def test_own_profile_links_to_the_views(client, summary, author):
    assert "How often the papers you summarized" not in client.get("/user/alice/").content.decode()
    client.force_login(author)
    page = client.get("/user/alice/").content.decode()
    assert 'href="/accounts/settings/#views">How often the papers you summarized are read' in page
