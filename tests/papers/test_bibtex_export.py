"""Papers out as BibTeX, and the Cite box."""

import io

import pytest
from django.core.management import call_command

from papers.bibtex import parse_bibtex
from papers.bibtex_export import bibtex_for_papers, generated_entry, paper_bibtex
from papers.models import Paper, PaperAlias
from tests import corpora
from tests.conftest import make_paper, make_summary

from .dblp_samples import SCHOLKOPF_WITH_STRING, VASWANI_NIPS


def import_text(tmp_path, text):
    path = tmp_path / "in.bib"
    path.write_text(text, encoding="utf-8")
    call_command("import_bibtex", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def read_back(text):
    parsed = parse_bibtex(text)
    assert not parsed.errors, parsed.errors
    return parsed.entries


def assert_same_paper(entry, paper):
    assert entry.key == paper.bibtex_key
    assert entry.title == paper.title
    assert entry.year == paper.year
    assert entry.authors == paper.author_names
    assert entry.doi == paper.doi
    assert entry.arxiv_id == paper.arxiv_id


def test_an_imported_paper_exports_its_original_entry(client, tmp_path, db):
    import_text(tmp_path, VASWANI_NIPS)
    response = client.get("/paper/conf/nips/VaswaniSPUJGKP17/bibtex/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-bibtex; charset=utf-8"
    body = response.content.decode()
    assert body == VASWANI_NIPS.strip() + "\n"
    [entry] = read_back(body)
    assert_same_paper(entry, Paper.objects.get())


def test_an_entry_that_needs_its_files_macros_is_exported_as_generated_bibtex(tmp_path, db):
    import_text(tmp_path, SCHOLKOPF_WITH_STRING)
    paper = Paper.objects.get()
    text = paper_bibtex(paper)
    assert "jmlr," not in text and "Journal of Machine Learning Research" in text
    [entry] = read_back(text)
    assert_same_paper(entry, paper)
    assert entry.fields["journal"] == "Journal of Machine Learning Research"


def test_a_paper_edited_after_import_exports_its_edited_fields(tmp_path, db):
    import_text(tmp_path, VASWANI_NIPS)
    paper = Paper.objects.get()
    paper.title = "Attention is all you need (corrected)"
    paper.save()
    [entry] = read_back(paper_bibtex(Paper.objects.for_listing().get()))
    assert entry.title == "Attention is all you need (corrected)"


def test_a_hand_made_paper_gets_generated_bibtex_that_reads_back(db, venue):
    paper = make_paper(
        "conf/nips/Odd15",
        venue=venue,
        entry_type="inproceedings",
        title="Costs in $\\mathcal{O}(n)$: 50% of {braces} & co_ops -- a `study'",
        authors=["Jürgen Schmidhuber", "Łukasz Kaiser"],
        doi="10.5555/odd",
        arxiv_id="1506.01497",
        urls=["https://example.org/a_b%20c"],
    )
    paper = Paper.objects.for_listing().get(pk=paper.pk)
    text = generated_entry(paper)
    [entry] = read_back(text)
    assert_same_paper(entry, paper)
    assert entry.fields["booktitle"] == venue.name
    assert entry.urls == ["https://example.org/a_b%20c"]


def test_a_key_bibtex_cannot_hold_still_gives_a_readable_entry(db):
    paper = make_paper("odd key,with{things}", title="Odd")
    [entry] = read_back(paper_bibtex(Paper.objects.for_listing().get(pk=paper.pk)))
    assert entry.title == "Odd" and " " not in entry.key


@pytest.mark.parametrize("path", corpora.BIBTEX_FILES, ids=lambda path: path.name)
def test_every_imported_corpus_paper_exports_to_the_same_fields(tmp_path, db, path):
    parsed = parse_bibtex(path.read_bytes().decode("utf-8-sig"))
    if parsed.errors or not parsed.entries:
        pytest.skip("refused or empty: nothing to export")
    call_command("import_bibtex", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    papers = list(Paper.objects.for_listing().order_by("bibtex_key"))
    entries = read_back(bibtex_for_papers(Paper.objects.order_by("bibtex_key")))
    assert len(entries) == len(papers)
    for entry, paper in zip(entries, papers, strict=True):
        assert_same_paper(entry, paper)


def test_aliases_and_arxiv_spellings_redirect_to_the_bibtex(client, paper):
    PaperAlias.objects.create(key="journals/corr/RenHG015", paper=paper)
    response = client.get("/paper/journals/corr/RenHG015/bibtex/")
    assert response.status_code == 301
    assert response["Location"] == "/paper/conf/nips/RenHGS15/bibtex/"
    assert client.get("/paper/arXiv:1506.01497v3/bibtex/")["Location"] == (
        "/paper/conf/nips/RenHGS15/bibtex/"
    )


@pytest.mark.parametrize(
    "spelling",
    [
        "arXiv:1506.01497v2",
        "1506.01497v1",
        "https://arxiv.org/abs/1506.01497",
        "https:/arxiv.org/abs/1506.01497v3",
        "https://arxiv.org/pdf/1506.01497.pdf",
    ],
)
def test_arxiv_spellings_in_the_paper_address_redirect_to_the_paper(client, paper, spelling):
    response = client.get(f"/paper/{spelling}/")
    assert response.status_code == 301
    assert response["Location"] == "/paper/conf/nips/RenHGS15/"


@pytest.mark.parametrize(
    "spelling",
    ["https://doi.org/10.1109/TPAMI.2016.2577031", "doi:10.1109/tpami.2016.2577031"],
)
def test_doi_urls_in_the_paper_address_redirect_to_the_paper(client, paper, spelling):
    paper.doi = "10.1109/tpami.2016.2577031"
    paper.save()
    response = client.get(f"/paper/{spelling}/")
    assert response.status_code == 301
    assert response["Location"] == "/paper/conf/nips/RenHGS15/"


def test_unknown_bibtex_is_404(client, db):
    assert client.get("/paper/conf/nips/Nobody99/bibtex/").status_code == 404


def test_the_paper_page_has_a_cite_box_that_works_without_javascript(client, paper):
    page = client.get(paper.get_absolute_url()).content.decode()
    assert '<details class="cite-box">' in page
    assert "@inproceedings{conf/nips/RenHGS15," in page or "@article{conf/nips/RenHGS15," in page
    assert 'href="/paper/conf/nips/RenHGS15/bibtex/"' in page
    # The copy button appears only with JavaScript, which is a separate file (strict CSP).
    assert 'data-copy="paper-bibtex" hidden' in page
    assert '<script src="/static/js/copy.js" defer></script>' in page


def test_venue_year_bibtex_lists_its_summarized_papers(client, venue, author):
    summarized = make_paper("conf/nips/A17", venue=venue, year=2017, title="Summarized")
    make_summary(summarized, author)
    make_paper("conf/nips/B17", venue=venue, year=2017, title="Not summarized")
    make_summary(make_paper("conf/nips/C16", venue=venue, year=2016, title="Other year"), author)
    response = client.get("/venue/conf/nips/2017/bibtex/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/x-bibtex")
    assert [entry.key for entry in read_back(response.content.decode())] == ["conf/nips/A17"]


def test_user_bibtex_lists_public_signed_summaries_only(client, author, venue):
    make_summary(make_paper("conf/nips/Public", venue=venue, title="Public"), author)
    make_summary(make_paper("conf/nips/Private", title="Private"), author, is_private=True)
    make_summary(make_paper("conf/nips/Anon", title="Anonymous"), author, is_anonymous=True)
    response = client.get("/user/alice/bibtex/")
    assert response.status_code == 200
    assert [entry.key for entry in read_back(response.content.decode())] == ["conf/nips/Public"]
    assert client.get("/user/nobody/bibtex/").status_code == 404


@pytest.mark.parametrize("count", [1, 30])
def test_list_exports_take_a_constant_number_of_queries(
    client, venue, author, count, django_assert_max_num_queries
):
    for i in range(count):
        make_summary(make_paper(f"conf/nips/P{i}", venue=venue, year=2017, title=f"P{i}"), author)
    with django_assert_max_num_queries(6):
        assert client.get("/venue/conf/nips/2017/bibtex/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/user/alice/bibtex/").status_code == 200


def test_a_venue_year_page_links_to_its_bibtex(client, summary):
    page = client.get("/venue/conf/nips/2015/").content.decode()
    assert 'href="/venue/conf/nips/2015/bibtex/"' in page


def test_signed_in_users_find_the_add_papers_page_in_the_header(client, author):
    assert 'href="/papers/add/"' not in client.get("/").content.decode()
    client.force_login(author)
    assert 'href="/papers/add/">Add papers</a>' in client.get("/").content.decode()
