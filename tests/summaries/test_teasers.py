"""Listing pages show each summary's teaser, cut at a block boundary when it is saved, with a
link to the whole text that needs no script; the paper page shows summaries whole."""

import re

from summaries import teasers
from summaries.models import Summary
from summaries.writing import delete_summary
from tests.conftest import make_paper, make_summary

LONG = "\n\n".join(
    f"Paragraph {i} explains $x_{i}^2$ with enough words to fill a few lines of a card. " * 3
    for i in range(12)
)


def test_a_short_summary_is_its_own_teaser(paper, author):
    summary = make_summary(paper, author, "Just one *short* paragraph.")
    assert not summary.teaser_is_cut
    assert "<em>short</em>" in summary.teaser


def test_a_long_summary_is_cut_after_whole_blocks(paper, author):
    summary = make_summary(paper, author, LONG)
    assert summary.teaser_is_cut
    assert summary.teaser.count("<p>") == summary.teaser.count("</p>") >= 1
    assert "Paragraph 0" in summary.teaser and "Paragraph 11" not in summary.teaser
    text = re.sub(r"<[^>]+>", "", summary.teaser)
    assert len(text) < 2 * teasers.TEXT_CHARS


def test_formulas_in_teasers_keep_their_mathml_only(paper, author):
    summary = make_summary(paper, author, "Loss $$\\sum_i x_i^2$$ and more.")
    assert "<math" in summary.teaser
    assert "katex-html" not in summary.teaser and "katex-mathml" not in summary.teaser
    assert "katex-html" in summary.html  # the whole text keeps both


def test_a_teaser_never_ends_on_a_heading():
    html = "<p>" + "word " * 100 + "</p>\n<h3>Next</h3>\n<p>" + "more " * 200 + "</p>"
    teaser = teasers.cut(html)
    assert teasers.is_cut(teaser) and "<h3>" not in teaser


def test_listings_show_the_teaser_with_a_link_to_the_whole_summary(client, paper, author):
    summary = make_summary(paper, author, LONG)
    page = client.get("/").content.decode()
    assert "Paragraph 0" in page and "Paragraph 11" not in page
    assert f'href="{paper.get_absolute_url()}#{summary.anchor}">Read the whole summary' in page
    whole = client.get(paper.get_absolute_url()).content.decode()
    assert "Paragraph 11" in whole and "Read the whole summary" not in whole


def test_a_listing_of_twenty_math_heavy_cards_is_at_most_100_kb(client, venue, author, settings):
    from accounts.models import User

    settings.PAGE_SIZE = 20
    source = (
        "The model minimises $$\\mathcal{L}(\\theta) = \\frac{1}{N}\\sum_{i=1}^{N} "
        "\\ell(f_\\theta(x_i), y_i) + \\lambda \\|\\theta\\|_2^2$$\n\n"
        + "where $\\lambda > 0$ and $O(n \\log n)$ replace $O(n^2)$. " * 6
        + "\n\n## More\n\n"
        + LONG
    )
    for i in range(20):
        paper = make_paper(f"conf/nips/Heavy{i}", venue=venue, title=f"Heavy paper {i}")
        make_summary(paper, User.objects.create_user(f"heavy{i}"), source)
    response = client.get("/")
    assert response.content.decode().count('class="summary"') == 20
    assert len(response.content) <= 100 * 1024
    assert Summary.objects.first().html.count("katex-html") >= 3  # the whole text is bigger


def test_a_soft_delete_does_not_render_again(paper, author, monkeypatch):
    from summaries import models

    summary = make_summary(paper, author, "Rendered once.")
    monkeypatch.setattr(
        models, "render_summary_source", lambda source: (_ for _ in ()).throw(AssertionError)
    )
    delete_summary(summary=Summary.objects.get(pk=summary.pk))
    again = Summary.objects.get(pk=summary.pk)
    again.is_private = True
    again.save()  # the source did not change: no rendering
    assert Summary.objects.get(pk=summary.pk).html == summary.html
