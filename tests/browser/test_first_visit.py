"""Every kind of page, as a reader, a writer and a moderator, on a laptop and on a phone: the page
never scrolls sideways, nothing covers the header, the three kinds of button look different,
and the Content Security Policy is never violated. A screenshot of each page is kept under
tests/browser/screenshots/visit-<role>-<width>-<page>.png."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from summaries.models import Comment, Report, Summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + event.blockedURI);
});
"""

# Returns a list of problems with the page as laid out now.
LAYOUT_PROBLEMS = """
() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.querySelectorAll("body *")].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.right > window.innerWidth + 1 && getComputedStyle(el).position !== "fixed";
    }).slice(0, 3).map((el) => el.tagName.toLowerCase() + "." + el.className);
    problems.push(`page is ${root.scrollWidth}px wide in ${window.innerWidth}px: ${wide}`);
  }
  const header = document.querySelector("header.site-header, #header");
  if (!header) {
    problems.push("no header");
    return problems;
  }
  const box = header.getBoundingClientRect();
  // Every point of the header shows the header (or something inside it), never the page.
  for (let x = 4; x < box.right - 2; x += 23) {
    for (const y of [box.top + 3, (box.top + box.bottom) / 2, box.bottom - 3]) {
      const hit = document.elementFromPoint(x, y);
      const page = hit === document.documentElement || hit === document.body;
      if (hit && !header.contains(hit) && !page) {
        problems.push(`${hit.tagName.toLowerCase()}.${hit.className} covers the header at ${x}`);
      }
    }
  }
  const main = document.querySelector("main, #content");
  if (main && main.getBoundingClientRect().top < box.bottom - 1) {
    problems.push("the content starts under the header");
  }
  return problems.slice(0, 5);
}
"""

# The look of each kind of button present: [kind, computed style] pairs.
BUTTON_STYLES = """
() => [...document.querySelectorAll(".button")].filter((el) => el.offsetParent).map((el) => {
  const kind = el.classList.contains("button-danger") ? "danger"
    : el.classList.contains("button-secondary") ? "secondary" : "primary";
  const s = getComputedStyle(el);
  return [kind, [s.backgroundColor, s.color, s.borderTopColor].join(" ")];
})
"""


def _setup_site():
    call_command("load_demo", verbosity=0)
    writer = User.objects.get(username="mira")
    writer.set_password("correct horse battery")
    writer.save()
    moderator = User.objects.create_user(
        "moda", "moda@example.org", "correct horse battery", is_staff=True, email_confirmed=True
    )
    moderator.groups.add(Group.objects.get(name="Moderators"))
    summary = Summary.objects.filter(author=writer).select_related("paper").order_by("pk").first()
    other = Summary.objects.exclude(author=writer).select_related("paper").order_by("pk").first()
    other.new_share_token()
    other.save()
    comment = Comment.objects.create(summary=summary, author=other.author, source="Nice *work*.")
    Report.objects.create(summary=other, reporter=writer, reason="wrong", text="Wrong paper?")
    long_formula = "$$" + " + ".join(f"\\frac{{x_{{{i}}}}}{{y_{{{i}}}}}" for i in range(40)) + "$$"
    writer_summary_on_formula = Summary.objects.filter(author=writer).order_by("-pk").first()
    writer_summary_on_formula.source += "\n\nA long formula:\n\n" + long_formula + "\n"
    writer_summary_on_formula.save()
    return {
        "writer": writer,
        "moderator": moderator,
        "summary": summary,
        "other": other,
        "comment": comment,
        "formula_paper": writer_summary_on_formula.paper,
    }


def _pages(cast, role):
    summary, other = cast["summary"], cast["other"]
    public = {
        "home": "/",
        "home-top": "/?tab=top",
        "home-page-2": "/?page=2",
        "paper": summary.paper.get_absolute_url(),
        "paper-formula": cast["formula_paper"].get_absolute_url(),
        "venues": "/venues/",
        "venue": "/venue/conf/nips/",
        "venue-year": "/venue/conf/nips/2015/",
        "year": "/year/2015/",
        "writers": "/users/",
        "profile": "/user/mira/",
        "about": "/about/",
        "search": "/search/?q=batch+norm",
        "search-empty": "/search/",
        "history": f"/summaries/{summary.pk}/history/",
        "author": "/author/kaiming-he/",
        "keyword": "/keyword/cs.CV/",
        "shared": f"/s/{other.share_token}/",
        "not-found": "/no/such/page/",
    }
    if role == "reader":
        return {
            **public,
            "login": "/accounts/login/",
            "signup": "/accounts/signup/",
            "password-reset": "/accounts/password/reset/",
        }
    if role == "writer":
        return {
            **public,
            "editor-new": "/paper/conf/cvpr/GirshickDDM14/write/",
            "editor-own": f"{summary.paper.get_absolute_url()}write/",
            "add-papers": "/papers/add/",
            "settings": "/accounts/settings/",
            "delete-account": "/accounts/delete/",
            "password-change": "/accounts/password/change/",
            "report": f"/summaries/{other.pk}/report/",
        }
    return {
        "home": "/",
        "paper": summary.paper.get_absolute_url(),
        "history": f"/summaries/{other.pk}/history/",
        "admin": "/admin/",
        "admin-summaries": "/admin/summaries/summary/",
        "admin-summary": f"/admin/summaries/summary/{other.pk}/change/",
        "admin-reports": "/admin/summaries/report/",
        "admin-comments": "/admin/summaries/comment/",
        "admin-papers": "/admin/papers/paper/",
        "admin-users": "/admin/accounts/user/",
        "admin-log": "/admin/summaries/moderationaction/",
    }


def _sign_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


@pytest.mark.parametrize("width", list(VIEWPORTS))
@pytest.mark.parametrize("role", ["reader", "writer", "moderator"])
def test_every_page_fits_keeps_its_header_clear_and_obeys_the_policy(
    live_server, browser, role, width
):
    from tests.browser.conftest import SCREENSHOTS

    cast = _setup_site()
    context = browser.new_context(viewport=VIEWPORTS[width])
    context.add_init_script(RECORD_VIOLATIONS)
    if role != "reader":
        _sign_in(context, live_server, cast["writer" if role == "writer" else "moderator"])
    page = context.new_page()
    SCREENSHOTS.mkdir(exist_ok=True)
    problems = []
    seen_kinds = {}
    for name, url in _pages(cast, role).items():
        response = page.goto(live_server.url + url)
        expected = 404 if name == "not-found" else 200
        if response.status != expected:
            problems.append(f"{name}: status {response.status}")
            continue
        page.wait_for_load_state("load")
        problems += [f"{name}: {p}" for p in page.evaluate(LAYOUT_PROBLEMS)]
        problems += [f"{name}: CSP {v}" for v in page.evaluate("window.__csp")]
        styles = {}
        for kind, style in page.evaluate(BUTTON_STYLES):
            styles.setdefault(kind, set()).add(style)
            seen_kinds.setdefault(kind, set()).add(style)
        for kind, looks in styles.items():
            for other_kind, other_looks in styles.items():
                if kind < other_kind and looks & other_looks:
                    problems.append(f"{name}: {kind} and {other_kind} buttons look the same")
        page.screenshot(path=str(SCREENSHOTS / f"visit-{role}-{width}-{name}.png"), full_page=True)
    context.close()
    assert problems == []
    if role == "writer":
        # The editor of one's own summary has all three: Save, Preview, Delete this summary.
        assert set(seen_kinds) == {"primary", "secondary", "danger"}


def test_a_long_formula_on_a_phone_shows_that_it_scrolls(live_server, browser):
    cast = _setup_site()
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(live_server.url + cast["formula_paper"].get_absolute_url())
    display = page.locator(".summary-text .katex-display").last
    scrolls = display.evaluate("el => el.scrollWidth > el.clientWidth")
    looks = display.evaluate(
        "el => getComputedStyle(el).overflowX + ' ' + getComputedStyle(el).backgroundImage"
    )
    assert scrolls
    assert looks.startswith("auto") and len(re.findall("gradient", looks)) == 4
    display.scroll_into_view_if_needed()
    display.screenshot(path=str(_screenshot_dir() / "formula-phone-start.png"))
    display.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    display.screenshot(path=str(_screenshot_dir() / "formula-phone-end.png"))
    context.close()


def _screenshot_dir():
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


def test_signed_in_header_is_one_row_at_1280_pixels(live_server, browser):
    cast = _setup_site()
    User.objects.filter(pk=cast["writer"].pk).update(display_name="Mira Kovač-Longname")
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    _sign_in(context, live_server, cast["writer"])
    page = context.new_page()
    page.goto(live_server.url + "/")
    tops = page.evaluate(
        "() => [...document.querySelector('.header-row').children].map("
        "el => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2))"
    )
    assert max(tops) - min(tops) <= 4, tops
    assert page.get_by_role("button", name="Log out").is_visible()
    context.close()
