"""The editor, votes and comments work with JavaScript turned off; with it on, leaving the
editor with unsaved text asks first."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from summaries.models import Summary, Vote
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import make_paper, make_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unusual passphrase"


def _log_in(page, base, login):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")


def test_preview_vote_and_comment_without_javascript(live_server, browser):
    base = live_server.url
    paper = make_paper("conf/nips/RenHGS15", title="Faster R-CNN")
    other = make_paper("conf/iccv/HeGDG17", title="Mask R-CNN")
    writer = User.objects.create_user("writer", "w@example.org", PASSWORD, email_confirmed=True)
    theirs = make_summary(other, writer, "Adds a mask branch.")
    User.objects.create_user("ada", "ada@example.org", PASSWORD, email_confirmed=True)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    _log_in(page, base, "ada")

    page.goto(base + paper.get_absolute_url() + "write/")
    page.get_by_label("Your summary").fill("Proposals *for free*.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-preview] em")).to_have_text("for free")
    expect(page.get_by_label("Your summary")).to_have_value("Proposals *for free*.")
    assert not Summary.objects.filter(paper=paper).exists()
    page.screenshot(path=str(SCREENSHOTS / "nojs-preview.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/paper/conf/nips/RenHGS15/#ada")
    assert Summary.objects.get(paper=paper).source == "Proposals *for free*."

    page.goto(base + other.get_absolute_url())
    page.locator("#writer").get_by_role("button", name="Up").click()
    page.wait_for_url("**/paper/conf/iccv/HeGDG17/#writer")
    expect(page.locator("#writer .summary-score")).to_have_text("1 point")
    assert Vote.objects.get(summary=theirs).value == 1
    page.get_by_label("Add a comment").fill("Which backbone?")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator(".comment-text")).to_have_text("Which backbone?")
    page.screenshot(path=str(SCREENSHOTS / "nojs-voted-and-commented.png"), full_page=True)
    context.close()


def test_leaving_the_editor_with_unsaved_text_asks_first(live_server, page):
    base = live_server.url
    paper = make_paper("conf/nips/RenHGS15", title="Faster R-CNN")
    User.objects.create_user("ada", "ada@example.org", PASSWORD, email_confirmed=True)
    _log_in(page, base, "ada")
    page.goto(base + paper.get_absolute_url() + "write/")
    page.get_by_label("Your summary").press_sequentially("Half a thought")
    dialogs = []

    def refuse(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", refuse)
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/write/")
    expect(page.get_by_label("Your summary")).to_have_value("Half a thought")


def test_unsaved_text_kept_in_the_browser_is_offered_back(live_server, page):
    base = live_server.url
    paper = make_paper("conf/nips/RenHGS15", title="Faster R-CNN")
    User.objects.create_user("ada", "ada@example.org", PASSWORD, email_confirmed=True)
    _log_in(page, base, "ada")
    editor = base + paper.get_absolute_url() + "write/"
    page.goto(editor)
    page.get_by_label("Your summary").press_sequentially("Typed before the tab crashed")
    page.wait_for_timeout(800)  # the copy is kept with the debounced preview
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(base + "/")
    page.goto(editor)
    expect(page.get_by_text("This browser kept text you had not saved")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "editor-draft-offer.png"), full_page=True)
    page.get_by_role("button", name="Bring it back").click()
    expect(page.get_by_label("Your summary")).to_have_value("Typed before the tab crashed")
    expect(page.locator("[data-preview]")).to_contain_text("Typed before the tab crashed")
