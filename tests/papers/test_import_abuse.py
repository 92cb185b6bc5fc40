"""Issue 16, items 2, 7, 8 and 9 and the "Smaller" ones about imports: what an ordinary
signed-in user can no longer do by pasting BibTeX."""

import time
import tracemalloc
import unicodedata

import pytest
from django.core.exceptions import ValidationError

from papers.bibtex import MAX_ENTRY_CHARS, parse_bibtex
from papers.models import Keyword, Paper, PaperAlias, validate_bibtex_key
from tests.conftest import make_summary

from .test_add_papers import confirm, preview


@pytest.fixture
def logged_in(client, author):
    client.force_login(author)
    return client


def _string_chain(steps):
    lines = ['@string{a0 = "xxxxxxxx"}']
    lines += [f"@string{{a{i + 1} = a{i} # a{i}}}" for i in range(steps)]
    lines.append(f"@article{{Bomb2020, title = a{steps}, author = {{A. B}}, year = 2020}}")
    return "\n".join(lines)


def test_a_doubling_string_chain_is_refused_in_bounded_memory_naming_the_entry(logged_in):
    text = _string_chain(40)
    assert len(text) < 1100  # the paste was 712 bytes and took 1.3 GB
    preview(logged_in, "@article{Warm, title = {Up}}")  # templates compiled, modules loaded
    started = time.monotonic()
    response = preview(logged_in, text)
    assert time.monotonic() - started < 1
    tracemalloc.start()
    parse_bibtex(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50_000_000
    page = response.content.decode()
    assert "expands to more than 100,000 characters" in page
    assert "Entry &#x27;Bomb2020&#x27; at line 42" in page
    assert 'name="import"' not in page
    assert confirm(logged_in, text).status_code == 200 and not Paper.objects.exists()


def test_the_whole_parse_has_an_expansion_budget():
    big = "y" * 90_000
    lines = [f'@string{{b0 = "{big}"}}']
    lines += [f"@string{{b{i} = b0}}" for i in range(1, 200)]
    lines += [f"@article{{k{i}, title = b{i % 199 + 1}}}" for i in range(200)]
    result = parse_bibtex("\n".join(lines))
    assert any("in all" in error.message for error in result.errors)
    assert len(result.entries) < 200


@pytest.mark.parametrize(
    "key",
    ["..", "/", "../../accounts/delete", "a//b", "conf/./x", "pa\u200bper", "pa\u202eper", "---"],
)
def test_keys_that_are_not_bibtex_keys_are_refused(logged_in, key):
    response = preview(logged_in, f"@article{{{key}, title = {{A title}}, year = 2020}}")
    page = response.content.decode()
    assert "Error" in page and 'name="import"' not in page
    confirm(logged_in, f"@article{{{key}, title = {{A title}}, year = 2020}}")
    assert not Paper.objects.exists()
    with pytest.raises(ValidationError):
        validate_bibtex_key(key)


def test_keys_are_stored_normalized(logged_in):
    decomposed = unicodedata.normalize("NFD", "conf/x/König20")
    confirm(logged_in, f"@article{{{decomposed}, title = {{A title}}, year = 2020}}")
    assert Paper.objects.get().bibtex_key == unicodedata.normalize("NFC", "conf/x/König20")
    for good in ("conf/nips/RenHGS15", "journals/corr/1611.03530", "10.1038/nature14539"):
        validate_bibtex_key(good)


def test_an_unused_key_with_a_known_doi_does_not_claim_the_key(logged_in, paper):
    Paper.objects.filter(pk=paper.pk).update(doi="10.1000/xyz")
    text = "@article{squatter/Key20, title = {Anything}, doi = {10.1000/xyz}, year = 2020}"
    page = preview(logged_in, text).content.decode()
    assert "Already here" in page and paper.bibtex_key in page and "the same DOI" in page
    assert "ask a moderator" in page
    confirm(logged_in, text)
    assert not PaperAlias.objects.exists()
    assert Paper.objects.count() == 1
    assert logged_in.get("/paper/squatter/Key20/").status_code == 404


def test_a_moderator_import_makes_the_same_doi_an_alias(client, moderator, paper):
    Paper.objects.filter(pk=paper.pk).update(doi="10.1000/xyz")
    client.force_login(moderator)
    confirm(client, "@article{journals/x/Same20, title = {T}, doi = {10.1000/xyz}, year = 2020}")
    assert PaperAlias.objects.get().paper == paper


def test_huge_entries_are_refused_and_old_ones_do_not_slow_the_paper_page(logged_in, paper):
    abstract = "word " * (MAX_ENTRY_CHARS // 5 + 10)
    text = f"@article{{Long20, title = {{Long}}, year = 2020, abstract = {{{abstract}}}}}"
    page = preview(logged_in, text).content.decode()
    assert "an entry can have at most 20,000" in page
    assert not Paper.objects.filter(bibtex_key="Long20").exists()
    # A 4 MB entry stored before the cap: the page shows an entry built from the fields.
    raw = "@article{conf/nips/RenHGS15, title = {x}, abstract = {" + "w" * 4_000_000 + "}}"
    Paper.objects.filter(pk=paper.pk).update(bibtex=raw)
    started = time.monotonic()
    response = logged_in.get(paper.get_absolute_url())
    assert time.monotonic() - started < 1
    assert response.status_code == 200
    assert len(response.content) < 200_000
    assert "Faster R-CNN" in response.content.decode()


@pytest.mark.parametrize("year", ["0999", "0001", "0100", "9999"])
def test_impossible_years_are_refused_at_import(logged_in, year):
    text = (
        f"@inproceedings{{conf/nips/Odd{year}, title = {{T}}, booktitle = {{NIPS}}, year = {year}}}"
    )
    page = preview(logged_in, text).content.decode()
    assert "is not a year a paper can have" in page
    confirm(logged_in, text)
    assert not Paper.objects.exists()


def test_keywords_with_slashes_import_and_every_page_listing_them_works(logged_in, author):
    text = (
        "@article{conf/x/Kw20, title = {Keyword paper}, year = 2020, keywords = {cs/AI, .., a/./b}}"
    )
    confirm(logged_in, text)
    paper = Paper.objects.get()
    assert sorted(paper.keywords.values_list("name", flat=True)) == ["cs/AI"]
    make_summary(paper, author, "About keywords.")
    for url in ("/", paper.get_absolute_url(), "/user/alice/", "/year/2020/", "/search/?q=keyword"):
        assert logged_in.get(url).status_code == 200, url
    keyword_page = logged_in.get(Keyword.objects.get().get_absolute_url())
    assert keyword_page.status_code == 200 and "Keyword paper" in keyword_page.content.decode()


def test_imports_are_limited_per_hour_for_ordinary_users(logged_in, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "import": (5, 3600, "imported papers")}
    many = "\n".join(
        f"@article{{conf/x/P{i}, title = {{Paper {i}}}, year = 2020}}" for i in range(6)
    )
    response = confirm(logged_in, many)
    assert response.status_code == 429
    assert "you can import 5 more in this hour" in response.content.decode()
    assert not Paper.objects.exists()
    three = "\n".join(
        f"@article{{conf/y/P{i}, title = {{Paper {i}}}, year = 2020}}" for i in range(3)
    )
    assert confirm(logged_in, three).status_code == 200
    assert Paper.objects.count() == 3
    response = confirm(logged_in, three.replace("conf/y", "conf/z"))
    assert response.status_code == 429 and Paper.objects.count() == 3


def test_moderators_import_without_the_hourly_limit(client, moderator, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "import": (5, 3600, "imported papers")}
    client.force_login(moderator)
    many = "\n".join(
        f"@article{{conf/x/P{i}, title = {{Paper {i}}}, year = 2020}}" for i in range(6)
    )
    confirm(client, many)
    assert Paper.objects.count() == 6


def test_snippet_markers_typed_by_a_writer_are_not_highlights(client, paper, author):
    summary = make_summary(paper, author, "Proposals matter a lot here.")
    from summaries.models import Summary

    # An older row (saves strip control characters now) with the snippet markers in it.
    Summary.objects.filter(pk=summary.pk).update(source="Proposals matter \x02fake\x03 a lot here.")
    Paper.objects.filter(pk=paper.pk).update(abstract="Region \x02bold\x03 proposals.")
    Paper.objects.filter(pk=paper.pk).update_search_vectors()
    page = client.get("/search/", {"q": "proposals"}).content.decode()
    assert "<mark>Proposals</mark>" in page or "<mark>proposals</mark>" in page
    assert "<mark>fake</mark>" not in page and "<mark>bold</mark>" not in page


def test_control_characters_never_reach_the_database(author, paper):
    author.display_name = "Bob\x0b\x00Builder\x1b"
    author.save()
    author.refresh_from_db()
    assert author.display_name == "BobBuilder"
    summary = make_summary(paper, author, "line one\nline\x02 two\x00")
    summary.refresh_from_db()
    assert summary.source == "line one\nline two"


def test_reading_bibtex_is_counted_by_size(logged_in, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "bibtex": (20, 3600, "units")}
    entry = "@article{conf/x/P%d, title = {Paper %d}, year = 2020}\n"
    megabyte = "".join(entry % (i, i) for i in range(1024 * 1024 // 50))
    assert preview(logged_in, megabyte).status_code == 200  # 17 units
    response = preview(logged_in, megabyte)
    assert response.status_code == 429
    assert "Nothing was read or imported" in response.content.decode()
    assert preview(logged_in, entry % (1, 1)).status_code == 429  # the budget is spent
