"""A newcomer signs up, confirms their address, writes a summary with math and a citation,
gets a vote and a comment from a second reader, edits, compares revisions and restores one."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from summaries import rendering
from summaries.models import Summary
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import make_paper

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unusual passphrase"
FIRST_TEXT = (
    "The region proposal network scores anchors with $p_i \\in [0, 1]$ and shares features "
    "with the detector, like \\cite{conf/icml/GalG16}.\n\n$$L = L_{cls} + \\lambda L_{reg}$$"
)


def _log_in(page, base, login):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")


def test_sign_up_write_vote_comment_edit_and_restore(
    live_server, page, browser, screenshot, mailoutbox, settings
):
    settings.SITE_URL = live_server.url
    base = live_server.url
    paper = make_paper(
        "conf/nips/RenHGS15",
        title="Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks",
    )
    make_paper(
        "conf/icml/GalG16",
        title="Dropout as a Bayesian Approximation",
        authors=["Yarin Gal", "Zoubin Ghahramani"],
        year=2016,
    )

    # 1. Sign up.
    page.goto(base + "/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("E-mail").fill("ada@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    screenshot("journey-01-sign-up")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("We sent an e-mail to ada@example.org")).to_be_visible()

    # 2. Confirm the address with the link from the e-mail.
    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+", mailoutbox[0].body).group(0)
    page.goto(link)
    screenshot("journey-02-confirm")
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_text("ada@example.org is confirmed")).to_be_visible()
    assert User.objects.get(username="ada").email_confirmed

    # 3. Write a summary; the live preview renders it as it is typed.
    page.goto(base + paper.get_absolute_url())
    page.get_by_role("link", name="Write a summary").click()
    page.wait_for_url("**/paper/conf/nips/RenHGS15/write/")
    expect(page.get_by_role("button", name="Preview")).to_be_hidden()  # live preview instead
    page.get_by_label("Your summary").fill(FIRST_TEXT)
    preview = page.locator("[data-preview]")
    expect(preview).to_contain_text("region proposal network scores anchors")
    if "katex" in rendering.render_markdown("$x$").html:  # once the math pipeline is in
        expect(preview.locator(".katex").first).to_be_visible()
        expect(preview.get_by_role("link", name=re.compile("Gal & Ghahramani"))).to_be_visible()
    screenshot("journey-03-editor-preview")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/paper/conf/nips/RenHGS15/#ada")
    expect(page.get_by_text("Your summary is saved.")).to_be_visible()
    expect(page.locator("#ada .summary-text")).to_contain_text("scores anchors")
    screenshot("journey-04-saved")

    # 4. A second reader votes (no reload) and comments.
    User.objects.create_user("bob", "bob@example.org", PASSWORD, email_confirmed=True)
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    reader = other.new_page()
    _log_in(reader, base, "bob")
    reader.goto(base + paper.get_absolute_url())
    reader.evaluate("window.__marker = 'same page'")
    reader.locator("#ada").get_by_role("button", name="Up").click()
    expect(reader.locator("#ada .summary-score")).to_have_text("1 point")
    expect(reader.locator("#ada").get_by_role("button", name="Up")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert reader.evaluate("window.__marker") == "same page"  # no reload happened
    reader.screenshot(path=str(SCREENSHOTS / "journey-05-voted.png"), full_page=True)
    reader.get_by_label("Add a comment").fill("Does the $\\lambda$ matter much?")
    reader.get_by_role("button", name="Comment").click()
    expect(reader.get_by_text("Your comment is posted.")).to_be_visible()
    expect(reader.locator(".comment-text")).to_contain_text("matter much?")
    expect(reader.locator("#ada .comment-count")).to_have_text("1 comment")
    reader.screenshot(path=str(SCREENSHOTS / "journey-06-commented.png"), full_page=True)
    other.close()
    assert Summary.objects.get().score == 1
    assert [m.to for m in mailoutbox[1:]] == [["ada@example.org"]]  # the comment notice

    # 5. The writer edits the summary.
    page.goto(base + paper.get_absolute_url())
    page.get_by_role("link", name="Edit your summary").click()
    page.get_by_label("Your summary").fill(
        FIRST_TEXT.replace("scores anchors", "ranks a few hundred anchors")
    )
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/paper/conf/nips/RenHGS15/#ada")
    expect(page.locator("#ada .summary-text")).to_contain_text("ranks a few hundred anchors")

    # 6. History: the diff between the two revisions, then restore the first.
    page.locator("#ada").get_by_role("link", name="History").click()
    expect(page.locator("pre.diff del")).to_contain_text("scores")
    expect(page.locator("pre.diff ins")).to_contain_text("ranks a few hundred")
    screenshot("journey-07-history-diff")
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_text("That revision's text is current again")).to_be_visible()
    expect(page.locator("table.revisions tbody tr")).to_have_count(3)
    screenshot("journey-08-restored")
    page.goto(base + paper.get_absolute_url())
    expect(page.locator("#ada .summary-text")).to_contain_text("scores anchors")
    assert Summary.objects.get().source == FIRST_TEXT
