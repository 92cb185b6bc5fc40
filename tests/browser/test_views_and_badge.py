"""In Chromium: a writer's settings page draws the 90-day views chart (no script), the paper
page shows its view count and its badge, which loads as an image, and the home page's
sections and Popular today tab are there."""

import datetime

import pytest

from accounts.models import User
from papers.models import Paper, PaperViewDay
from summaries.models import Summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_views_chart_badge_and_home_sections(live_server, page, screenshot):
    writer = User.objects.create_user("alice", "alice@example.org", "correct horse battery")
    paper = Paper.objects.create(bibtex_key="conf/nips/RenHGS15", title="Faster R-CNN", year=2015)
    Summary(paper=paper, author=writer, source="Region proposals, *shared*.").save()
    today = datetime.datetime.now(datetime.UTC).date()
    for back in range(0, 90, 3):
        PaperViewDay.objects.create(
            paper=paper, day=today - datetime.timedelta(days=back), views=back % 7 + 1
        )
    Paper.objects.filter(pk=paper.pk).update(view_count=321)
    base = live_server.url

    page.goto(base + "/")
    assert page.get_by_role("link", name="Popular today").get_attribute("aria-current") == "page"
    sections = page.get_by_role("navigation", name="Section").get_by_role("link")
    assert sections.all_text_contents() == ["All", "CompSci", "Biology", "Physics"]

    page.goto(base + paper.get_absolute_url())
    assert page.locator("dd.view-count").text_content() == "321"
    page.get_by_text("Badge for your site").click()
    badge = page.locator(".badge-box img")
    badge.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", badge.element_handle())
    screenshot("paper-badge")

    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/accounts/settings/#views")
    chart = page.locator("svg.views-chart")
    assert chart.get_attribute("role") == "img"
    assert chart.locator("rect").count() == 90
    box = chart.bounding_box()
    assert box["width"] > 200 and box["height"] > 30
    assert "in the last 90 days" in page.locator("#views + p").text_content()
    chart.scroll_into_view_if_needed()
    screenshot("settings-views-chart")
