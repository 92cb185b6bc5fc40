"""A reader searches from the header box, narrows the results, and jumps by arXiv id."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_searches_from_the_header_and_jumps_by_arxiv_id(live_server, page, screenshot):
    call_command("load_demo", verbosity=0)
    page.goto(live_server.url + "/about/")
    box = page.get_by_role("search").get_by_label("Search papers and summaries")
    box.fill("region proposal")
    box.press("Enter")
    page.wait_for_url("**/search/?q=region+proposal")
    first = page.locator(".search-result").first
    assert "Faster R-CNN" in first.locator(".paper-title").inner_text()
    assert first.locator("mark").count() > 0
    screenshot("search-results")

    page.get_by_label("Only papers with summaries").check()
    page.get_by_role("button", name="Search").last.click()
    assert "has_summaries=on" in page.url
    assert page.locator(".search-result").count() >= 1

    page.get_by_role("search").first.get_by_label("Search papers and summaries").fill(
        "arXiv:1506.01497v3"
    )
    page.get_by_role("search").first.get_by_role("button", name="Search").click()
    page.wait_for_url("**/paper/conf/nips/RenHGS15/")
    screenshot("paper-from-arxiv-id")
