"""The rendering pipeline as pages and commands show it: stored problems, refusals,
re-rendering, plain-text snippets, ids unique on a page with several summaries."""

import re

import pytest
from django.core.management import call_command

from summaries import rendering
from summaries.models import Summary
from tests.conftest import make_paper, make_summary

WRITE = "/paper/conf/nips/RenHGS15/write/"


def test_a_summary_too_large_to_render_is_refused_and_nothing_is_saved(client, paper, author):
    client.force_login(author)
    source = "$a$ " * 20_000  # 80 KB of text, megabytes of HTML
    response = client.post(WRITE, {"source": source})
    assert response.status_code == 413
    page = response.content.decode()
    assert "a summary may take at most 1,000 KB" in page
    assert source[:40] in page  # the text stays in the editor
    assert not Summary.objects.filter(paper=paper, author=author).exists()


def test_preview_of_a_summary_too_large_to_render_says_why(client, author, paper):
    client.force_login(author)
    response = client.post("/preview/", {"source": "$b$ " * 20_000})
    assert response.status_code == 413
    assert "at most 1,000 KB" in response.content.decode()


def test_a_degraded_rendering_is_stored_marked_and_shown_to_its_writer(
    client, paper, author, monkeypatch
):
    monkeypatch.setattr(rendering, "MARKDOWN_SECONDS", 0)  # the worker is stopped
    client.force_login(author)
    response = client.post(WRITE, {"source": "Some *text* with $x$."}, follow=True)
    assert response.status_code == 200
    summary = Summary.objects.get(paper=paper, author=author)
    assert "took too long" in summary.render_problem
    assert "could not be shown as written" in response.content.decode()  # the message
    assert "took too long" in client.get(WRITE).content.decode()  # and the editor says it

    monkeypatch.undo()
    call_command("rerender_summaries", "--outdated", verbosity=0)
    summary.refresh_from_db()
    assert summary.render_problem == "" and "<em>text</em>" in summary.html
    assert "could not be shown" not in client.get(WRITE).content.decode()


def test_rerender_outdated_reads_the_stored_pipeline_version(paper, author, stranger, capsys):
    current = make_summary(paper, author, "Current *pipeline*.")
    old = make_summary(make_paper("conf/x/Old1"), stranger, "Old *pipeline*.")
    Summary.objects.filter(pk=old.pk).update(html="<p>stale</p>", html_version=1)
    Summary.objects.filter(pk=current.pk).update(html="<p>kept</p>")
    edited = Summary.objects.get(pk=old.pk).edited

    call_command("rerender_summaries", "--outdated")
    out = capsys.readouterr()
    assert "Re-rendered 1 summary" in out.out
    assert "1/1" in out.err  # the progress bar
    old.refresh_from_db()
    current.refresh_from_db()
    assert "<em>pipeline</em>" in old.html and old.html_version == rendering.PIPELINE_VERSION
    assert old.edited == edited and old.revisions.count() == 1  # not an edit
    assert current.html == "<p>kept</p>"  # up to date: left alone

    call_command("rerender_summaries", verbosity=0)
    current.refresh_from_db()
    assert "<em>pipeline</em>" in current.html


def test_search_snippets_show_what_readers_see(client, paper, author):
    make_paper("journals/corr/Other1", title="Grid proposals")
    make_summary(
        paper,
        author,
        "We tile $S \\times S$ quokkagrids as in \\cite{journals/corr/Other1} with **bold**.",
    )
    page = client.get("/search/", {"q": "quokkagrids"}).content.decode()
    assert "Faster R-CNN" in page  # the right page: the paper was found
    snippet = re.search(r'<p class="snippet">(.*?)</p>', page, re.S).group(1)
    assert "S \\times S" in snippet and "$" not in snippet
    assert "\\cite" not in snippet and "**" not in snippet
    assert "[" in snippet and "]" in snippet  # the citation's label


@pytest.mark.django_db
def test_heading_and_footnote_ids_are_unique_on_a_page_with_several_summaries(
    client, paper, author, stranger
):
    text = "# Method\n\nA claim.[^1]\n\n$$\nx \\label{e}\n$$\n\n[^1]: A note. \\eqref{e}"
    make_summary(paper, author, text)
    make_summary(paper, stranger, text + "\n\nAnd more.")
    page = client.get(paper.get_absolute_url()).content.decode()
    assert page.count("Method</h3>") == 2, re.findall(r"<h3[^>]*>.{0,40}", page)
    ids = re.findall(r'\bid="((?:s|fn|fnref|eq)-[^"]+)"', page)
    assert len(ids) >= 8
    assert len(ids) == len(set(ids)), sorted(ids)
