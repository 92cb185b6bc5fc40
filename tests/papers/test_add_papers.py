"""The add-papers page: paste or upload, preview, confirm."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from papers.bibtex import parse_bibtex
from papers.forms import digest_of
from papers.models import Paper, PaperAlias
from tests import corpora
from tests.conftest import make_paper

from .dblp_samples import SCHMIDHUBER, VASWANI_CORR, VASWANI_NIPS

URL = "/papers/add/"


@pytest.fixture
def logged_in(client, author):
    client.force_login(author)
    return client


def preview(client, text):
    return client.post(URL, {"bibtex": text, "check": "1"})


def confirm(client, text, previewed=None):
    previewed = digest_of(text.replace("\r\n", "\n")) if previewed is None else previewed
    return client.post(URL, {"bibtex": text, "previewed": previewed, "import": "1"})


def test_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(URL, {"bibtex": VASWANI_NIPS}).status_code == 302
    assert not Paper.objects.exists()


def test_the_page_offers_a_paste_box_and_an_upload(logged_in):
    page = logged_in.get(URL).content.decode()
    assert '<textarea name="bibtex"' in page and 'type="file" name="file"' in page
    assert 'enctype="multipart/form-data"' in page and "csrfmiddlewaretoken" in page


def test_a_missing_citation_link_prefills_the_key(logged_in):
    page = logged_in.get(URL, {"key": "conf/icml/GalG16"}).content.decode()
    assert "@misc{conf/icml/GalG16," in page
    assert "<code>conf/icml/GalG16</code>, which is not on ShortScience yet" in page


def test_preview_lists_each_entry_and_saves_nothing(logged_in):
    response = preview(logged_in, VASWANI_NIPS + SCHMIDHUBER)
    page = response.content.decode()
    assert response.status_code == 200
    assert "conf/nips/VaswaniSPUJGKP17" in page and "Attention is All you Need" in page
    assert "Jürgen Schmidhuber" in page and "NeurIPS" in page and "Neural Networks" in page
    assert page.count('<span class="status status-new">New</span>') == 2
    assert 'name="import"' in page and "Import 2 entries" in page
    assert not Paper.objects.exists()


def test_confirming_creates_the_papers_and_links_to_them_and_their_editor(logged_in):
    response = confirm(logged_in, VASWANI_NIPS + SCHMIDHUBER)
    page = response.content.decode()
    assert response.status_code == 200
    assert Paper.objects.count() == 2
    assert 'href="/paper/conf/nips/VaswaniSPUJGKP17/"' in page
    assert 'href="/paper/conf/nips/VaswaniSPUJGKP17/write/"' in page
    assert 'href="/paper/journals/nn/Schmidhuber15/write/"' in page
    paper_page = logged_in.get("/paper/journals/nn/Schmidhuber15/").content.decode()
    assert "Jürgen Schmidhuber" in paper_page and "Neural Networks" in paper_page


def test_a_dblp_paste_gets_proper_venue_pages(logged_in):
    confirm(logged_in, VASWANI_NIPS)
    paper = Paper.objects.get()
    assert paper.get_absolute_url() == "/paper/conf/nips/VaswaniSPUJGKP17/"
    page = logged_in.get(paper.get_absolute_url()).content.decode()
    assert 'href="/venue/conf/nips/"' in page and 'href="/venue/conf/nips/2017/"' in page


def test_duplicates_are_previewed_and_imported_as_aliases_by_a_moderator(client, moderator):
    logged_in = client
    logged_in.force_login(moderator)
    make_paper("conf/nips/VaswaniSPUJGKP17", title="Attention is All you Need", year=2017)
    page = preview(logged_in, VASWANI_CORR).content.decode()
    assert "Duplicate" in page and "the same title and year" in page
    confirm(logged_in, VASWANI_CORR)
    assert PaperAlias.objects.get().key == "journals/corr/VaswaniSPUJGKP17"
    response = logged_in.get("/paper/journals/corr/VaswaniSPUJGKP17/")
    assert response.status_code == 301
    assert response["Location"] == "/paper/conf/nips/VaswaniSPUJGKP17/"


def test_an_error_anywhere_refuses_the_whole_import_and_names_entry_and_line(logged_in):
    text = VASWANI_NIPS + "\n@article{Broken2020,\n  title = {No closing brace},\n" + SCHMIDHUBER
    page = preview(logged_in, text).content.decode()
    assert "Entry &#x27;Broken2020&#x27; at line 22" in page
    assert 'name="import"' not in page
    assert "Nothing is imported while an entry has an error" in page
    response = confirm(logged_in, text)
    assert response.status_code == 200 and not Paper.objects.exists()


def test_confirm_reparses_the_text_rather_than_trusting_the_preview(logged_in):
    previewed = digest_of(VASWANI_NIPS)
    response = confirm(logged_in, VASWANI_NIPS + SCHMIDHUBER, previewed=previewed)
    assert "The text changed since the last preview" in response.content.decode()
    assert not Paper.objects.exists()


def test_text_without_entries_says_so(logged_in):
    page = preview(logged_in, "just some words, no BibTeX here").content.decode()
    assert "No BibTeX entry found" in page and 'name="import"' not in page


def test_an_empty_submission_asks_for_bibtex(logged_in):
    response = preview(logged_in, "   ")
    assert response.status_code == 400
    assert "Paste BibTeX entries or choose a .bib file." in response.content.decode()


def test_an_uploaded_file_is_previewed_then_imported(logged_in):
    upload = SimpleUploadedFile("refs.bib", SCHMIDHUBER.encode(), content_type="text/x-bibtex")
    page = logged_in.post(URL, {"file": upload, "check": "1"}).content.decode()
    assert "Jürgen Schmidhuber" in page and "Import 1 entry" in page
    # The file's text comes back in the box, so confirming needs no second upload.
    assert "Schmidhuber15" in page.split('<textarea name="bibtex"')[1]
    assert not Paper.objects.exists()


def test_a_latin1_file_is_read_and_the_user_is_told(logged_in):
    text = "@article{Sch2001, title={Learning with Kernels}, author={Bernhard Schölkopf}}"
    upload = SimpleUploadedFile("old.bib", text.encode("latin-1"))
    page = logged_in.post(URL, {"file": upload, "check": "1"}).content.decode()
    assert "read it as Latin-1" in page or "read as Latin-1" in page
    assert "Bernhard Schölkopf" in page


def test_files_over_5_mb_are_refused_with_413(logged_in, settings):
    upload = SimpleUploadedFile("huge.bib", b"%" * (5 * 1024 * 1024 + 1))
    response = logged_in.post(URL, {"file": upload, "check": "1"})
    assert response.status_code == 413
    assert "the limit is 5 MB" in response.content.decode()
    assert not Paper.objects.exists()


def test_importing_the_same_text_twice_reports_everything_already_here(logged_in):
    confirm(logged_in, VASWANI_NIPS)
    page = preview(logged_in, VASWANI_NIPS).content.decode()
    assert "already here: there is nothing to import" in page.lower()
    assert Paper.objects.count() == 1


def test_the_add_page_is_post_only_for_changes(logged_in):
    assert logged_in.put(URL).status_code == 405


@pytest.mark.parametrize("path", corpora.BIBTEX_FILES, ids=lambda path: path.name)
def test_every_corpus_file_imports_whole_or_is_refused_with_entry_and_line(logged_in, path):
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = logged_in.post(URL, {"file": upload, "check": "1"})
    assert response.status_code in (200, 400)
    page = response.content.decode()
    parsed = parse_bibtex(path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n"))
    text = re.search(r'<textarea name="bibtex"[^>]*>\n?(.*?)</textarea>', page, re.S)
    if response.status_code == 400:  # the file is empty
        assert not parsed.entries and not parsed.errors
        return
    for error in parsed.errors:
        assert f"line {error.line}" in page

    submitted = html.unescape(text.group(1))
    previewed = re.search(r'name="previewed" value="([0-9a-f]+)"', page).group(1)
    response = confirm(logged_in, submitted, previewed=previewed)
    assert response.status_code == 200
    if parsed.errors or not parsed.entries:
        assert not Paper.objects.exists()
    else:
        assert "Papers added" in response.content.decode()
        assert Paper.objects.count() + PaperAlias.objects.count() == len(parsed.entries)


def test_a_paper_added_meanwhile_by_someone_else_is_reported_not_a_server_error(
    logged_in, monkeypatch
):
    from papers import views

    real_plan = views.plan_import

    def stale_plan(parsed, **options):
        plan = real_plan(parsed, **options)
        if not Paper.objects.exists():  # someone else adds the paper after we planned
            make_paper("journals/nn/Schmidhuber15", title="Added meanwhile", year=2015)
        return plan

    monkeypatch.setattr(views, "plan_import", stale_plan)
    response = confirm(logged_in, SCHMIDHUBER)
    assert response.status_code == 200
    assert "added by someone else a moment ago" in response.content.decode()
    assert Paper.objects.get().title == "Added meanwhile"
