"""Every kind of page, opened in Chromium under the site's Content Security Policy, runs its
scripts and shows its styles without a single policy violation."""

import pytest
from django.core.management import call_command

from accounts.models import User
from summaries.models import Summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def visit(page, url, violations):
    response = page.goto(url)
    assert response.status < 400, url
    page.wait_for_load_state("load")
    violations += [f"{url}: {v}" for v in page.evaluate("window.__csp")]


def test_no_page_violates_the_content_security_policy(live_server, page, screenshot):
    call_command("load_demo", verbosity=0)
    User.objects.create_superuser("root", "root@example.org", "correct horse battery")
    summary = Summary.objects.select_related("paper").order_by("pk").first()
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security" in m.text else 0)
    page.add_init_script(RECORD_VIOLATIONS)
    violations = []
    base = live_server.url
    public = [
        "/",
        "/?tab=top",
        summary.paper.get_absolute_url(),
        "/venues/",
        "/venue/conf/nips/",
        "/year/2015/",
        "/users/",
        "/user/mira/",
        "/about/",
        "/search/?q=detection",
        f"/summaries/{summary.pk}/history/",
        "/accounts/login/",
        "/accounts/signup/",
        "/author/kaiming-he/",
        "/keyword/cs.CV/",
    ]
    for url in public:
        visit(page, base + url, violations)

    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")
    signed_in = [
        "/",
        summary.paper.get_absolute_url(),
        "/paper/conf/cvpr/GirshickDDM14/write/",
        "/papers/add/",
        "/accounts/settings/",
        "/admin/",
        "/admin/summaries/summary/",
        f"/admin/summaries/summary/{summary.pk}/change/",
        "/admin/summaries/report/",
    ]
    for url in signed_in:
        visit(page, base + url, violations)
    # The editor's live preview runs its script and fetches /preview/ under the policy.
    page.goto(base + "/paper/conf/cvpr/GirshickDDM14/write/")
    page.fill("textarea[name=source]", "Math $x^2$ and \\cite{conf/nips/RenHGS15}.")
    page.wait_for_timeout(1500)
    violations += page.evaluate("window.__csp")
    screenshot("csp-editor")
    assert violations == []
    assert console == []
