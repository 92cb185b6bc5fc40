"""Conformance: the CommonMark 0.31.2 and GFM extension examples through the pipeline.

The comparison (tests/summaries/spec_examples.py) allows only the site's deliberate
differences; the counts are floors, so a change that renders fewer examples fails here.
Before the GitHub-style Markdown work: 421 of 655 and 24 of 49.
"""

from tests.summaries import spec_examples

COMMONMARK_FLOOR = 502
GFM_FLOOR = 39


def _passing(examples):
    return sum(1 for example in examples if spec_examples.passes(example))


def test_the_spec_corpora_are_complete():
    assert len(spec_examples.commonmark_examples()) == 655
    assert len(spec_examples.gfm_examples()) == 49


def test_commonmark_examples_render_as_the_spec_says():
    assert _passing(spec_examples.commonmark_examples()) >= COMMONMARK_FLOOR


def test_gfm_extension_examples_render_as_the_spec_says():
    assert _passing(spec_examples.gfm_examples()) >= GFM_FLOOR


def test_the_normalizer_allows_only_deliberate_differences():
    expected = '<h1 id="x">T</h1>\n<p><a href="/u" rel="nofollow">a</a>  b</p>'
    assert spec_examples.normalize(spec_examples.expected_on_this_site(expected)) == (
        '<h3>T</h3><p><a href="/u">a</a> b</p>'
    )
    assert spec_examples.normalize("<p><em>a</em></p>") != spec_examples.normalize("<p>a</p>")
