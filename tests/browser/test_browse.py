"""A reader opens the home page in Chromium, follows a summary to its paper, reads it."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reader_follows_a_summary_from_home_to_its_paper(live_server, page, screenshot):
    call_command("load_demo", verbosity=0)
    page.goto(live_server.url + "/")
    assert page.title().startswith("ShortScience")
    assert page.get_by_text("public summaries written by researchers").is_visible()
    screenshot("home")

    card = page.locator("section.card", has_text="Faster R-CNN").first
    card.get_by_role("link", name="Faster R-CNN: Towards Real-Time Object Detection").click()
    page.wait_for_url("**/paper/conf/nips/RenHGS15/")
    assert page.locator("h1").inner_text().startswith("Faster R-CNN")
    assert page.locator("#mira").is_visible()
    assert page.get_by_role("link", name="NeurIPS").first.is_visible()

    # The abstract is behind a <details> toggle that works without script.
    abstract = page.locator("details.abstract")
    assert not abstract.locator("p").last.is_visible()
    abstract.locator("summary").click()
    assert abstract.get_by_text("Region Proposal Network").is_visible()

    # The demo summary's image, served from static/, actually loads.
    loaded = page.locator(".summary-text img").first.evaluate("img => img.naturalWidth > 0")
    assert loaded
    screenshot("paper")
