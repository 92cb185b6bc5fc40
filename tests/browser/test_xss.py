"""Every payload of the shared XSS corpus, placed wherever users put text, then shown in
Chromium on every page that shows it: no dialog opens, no payload script runs, and the parsed
DOM holds no event handler or script URL."""

import pytest

from accounts.models import User
from papers.models import Venue
from summaries.models import Comment
from tests import corpora
from tests.conftest import make_paper, make_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHUNK = 20

# Runs before any page script: the functions payloads call raise a flag instead.
TRAP = """
window.__xss = [];
for (const name of ["alert", "prompt", "confirm", "print", "open"]) {
  window[name] = (...args) => { window.__xss.push(name + ":" + String(args[0])); };
}
"""

# What must not be in the DOM the browser built, whatever the HTML looked like.
DOM_CHECK = """() => {
  const bad = [];
  const risky = /^\\s*(javascript|vbscript|data):/i;
  for (const el of document.querySelectorAll("body *")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) bad.push(el.tagName + " " + name);
      if (["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"].includes(name)
          && risky.test(attr.value.replace(/[\\u0000-\\u0020]/g, ""))) {
        bad.push(el.tagName + " " + name + "=" + attr.value.slice(0, 60));
      }
    }
    if (["IFRAME", "OBJECT", "EMBED", "BASE", "META", "FORM", "STYLE"].includes(el.tagName)
        && el.closest(".summary-text, .comment, .bio, .paper-header, .abstract")) {
      bad.push("element " + el.tagName);
    }
  }
  for (const script of document.scripts) {
    if (script.src && !script.src.startsWith(location.origin)) bad.push("script " + script.src);
    if (!script.src && script.type !== "application/ld+json") bad.push("inline script");
  }
  return bad;
}"""


def payloads():
    lines = []
    for path in corpora.XSS_FILES:
        lines += [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines


def plant(all_payloads):
    """Put the payloads into summaries, comments, names, bios, titles and abstracts through
    the same model code the site's forms and importers use."""
    venue = Venue.objects.create(key="conf/xss", name="Venue <script>alert(1)</script>")
    chunks = [all_payloads[i : i + CHUNK] for i in range(0, len(all_payloads), CHUNK)]
    papers = []
    for n, chunk in enumerate(chunks):
        writer = User.objects.create_user(
            f"writer{n}", display_name=chunk[0][:100], bio="\n".join(chunk)[:2000]
        )
        paper = make_paper(
            f"conf/xss/Paper{n}",
            venue=venue,
            year=2020,
            title=chunk[-1][:1000],
            abstract="\n".join(chunk),
            authors=[chunk[1][:300]],
        )
        summary = make_summary(paper, writer, "\n\n".join(chunk))
        Comment.objects.create(summary=summary, author=writer, source="\n\n".join(chunk))
        papers.append(paper)
    return papers


def test_no_payload_runs_anywhere_it_is_shown(live_server, page, screenshot):
    all_payloads = payloads()
    assert len(all_payloads) > 400
    papers = plant(all_payloads)

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(TRAP)

    urls = [
        "/",
        "/?page=2",
        "/?tab=top",
        "/venue/conf/xss/",
        "/venue/conf/xss/2020/",
        "/users/",
        "/year/2020/",
    ]
    urls += [paper.get_absolute_url() for paper in papers]
    urls += [f"/user/writer{n}/" for n in range(len(papers))]
    problems = {}
    for url in urls:
        response = page.goto(live_server.url + url)
        assert response.status < 500, url
        page.wait_for_load_state("load")
        # Open every <details> so nothing hides behind a toggle.
        page.eval_on_selector_all("details", "els => els.forEach(d => d.open = true)")
        page.wait_for_timeout(50)
        fired = page.evaluate("window.__xss")
        bad = page.evaluate(DOM_CHECK)
        if fired or bad:
            problems[url] = {"fired": fired, "dom": bad[:5]}
    screenshot("xss-paper")
    assert dialogs == []
    assert problems == {}
