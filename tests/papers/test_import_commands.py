"""manage.py import_bibtex and import_arxiv."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from papers.bibtex import parse_bibtex
from papers.models import Paper, PaperAlias
from shortscience import pagecache
from shortscience.pagecache import tag
from tests import corpora
from tests.conftest import make_paper

from .dblp_samples import ARXIV_OLD_STYLE_RECORD, ARXIV_RECORD, SCHMIDHUBER, VASWANI_NIPS


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def bib(tmp_path):
    def write(text, name="refs.bib", encoding="utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


def test_import_bibtex_creates_papers_and_says_what_it_did(db, bib):
    out, err = run("import_bibtex", bib(VASWANI_NIPS + SCHMIDHUBER), "--batch-size", "1")
    assert "2 created, 0 updated, 0 aliased, 0 already here, 0 errors." in out
    assert "2/2 entries" in err  # the progress bar
    assert Paper.objects.get(bibtex_key="journals/nn/Schmidhuber15").source == "BibTeX import"


def test_import_bibtex_reruns_change_nothing(db, bib):
    path = bib(VASWANI_NIPS + SCHMIDHUBER)
    run("import_bibtex", path)
    out, _ = run("import_bibtex", path)
    assert "0 created, 0 updated, 0 aliased, 2 already here, 0 errors." in out
    assert Paper.objects.count() == 2


def test_import_bibtex_refuses_a_file_with_errors_and_imports_nothing(db, bib):
    path = bib(VASWANI_NIPS + "@article{Broken, title = {x}, year = 20 20}\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 entry with errors: nothing imported"):
        call_command("import_bibtex", str(path), stdout=io.StringIO(), stderr=err)
    assert f"{path}: Entry 'Broken' at line 21" in err.getvalue()
    assert not Paper.objects.exists()


def test_keep_going_imports_the_valid_entries_and_lists_the_errors(db, bib):
    path = bib(VASWANI_NIPS + "@article{Broken, title = {x}, year = 20 20}\n")
    out, err = run("import_bibtex", path, "--keep-going")
    assert "1 created" in out and "1 errors." in out
    assert "Entry 'Broken' at line 21" in err
    assert Paper.objects.count() == 1


def test_import_bibtex_reads_several_files_and_reports_a_missing_one(db, bib, tmp_path):
    out, _ = run("import_bibtex", bib(VASWANI_NIPS, "a.bib"), bib(SCHMIDHUBER, "b.bib"))
    assert "2 created" in out
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_bibtex", tmp_path / "nowhere.bib")


@pytest.mark.parametrize("path", corpora.BIBTEX_FILES, ids=lambda path: path.name)
def test_every_corpus_file_imports_or_is_refused_with_entry_and_line(db, path):
    parsed = parse_bibtex(path.read_bytes().decode("utf-8-sig"))
    if parsed.errors:
        err = io.StringIO()
        with pytest.raises(CommandError, match="nothing imported"):
            call_command("import_bibtex", str(path), stdout=io.StringIO(), stderr=err)
        for error in parsed.errors:
            assert f"line {error.line}" in error.message
            assert error.message in err.getvalue()
        assert not Paper.objects.exists()
    else:
        out, _ = run("import_bibtex", path)
        assert f"{len(parsed.entries):,} created" in out or parsed.entries
        assert Paper.objects.count() + PaperAlias.objects.count() == len(parsed.entries)
        again, _ = run("import_bibtex", path)
        assert f"{len(parsed.entries)} already here" in again


def test_import_arxiv_reads_the_metadata_snapshot(db, tmp_path):
    path = tmp_path / "arxiv.json"
    path.write_text(json.dumps(ARXIV_RECORD) + "\n" + json.dumps(ARXIV_OLD_STYLE_RECORD) + "\n")
    out, _ = run("import_arxiv", path)
    assert "2 created" in out
    paper = Paper.objects.get(bibtex_key="journals/corr/1611.03530")
    assert paper.source == "arXiv" and [k.name for k in paper.keywords.all()] == ["cs.LG"]
    out, _ = run("import_arxiv", path)
    assert "2 already here" in out


def test_an_arxiv_record_of_a_paper_already_here_becomes_its_alias(db, bib, tmp_path):
    corr = (
        "@article{DBLP:journals/corr/ZhangBHRV16, author = {Chiyuan Zhang and Samy Bengio},\n"
        "  title = {Understanding deep learning requires rethinking generalization},\n"
        "  journal = {CoRR}, volume = {abs/1611.03530}, year = {2016},\n"
        "  eprinttype = {arXiv}, eprint = {1611.03530}}\n"
    )
    run("import_bibtex", bib(corr))
    path = tmp_path / "arxiv.json"
    path.write_text(json.dumps(ARXIV_RECORD) + "\n")
    out, _ = run("import_arxiv", path)
    assert "1 aliased" in out
    assert PaperAlias.objects.get().key == "journals/corr/1611.03530"
    assert PaperAlias.objects.get().paper.bibtex_key == "journals/corr/ZhangBHRV16"


def test_import_arxiv_refuses_broken_lines_unless_told_to_keep_going(db, tmp_path):
    path = tmp_path / "arxiv.json"
    path.write_text(json.dumps(ARXIV_RECORD) + "\n{broken\n")
    with pytest.raises(CommandError, match="nothing imported"):
        run("import_arxiv", path)
    assert not Paper.objects.exists()
    out, err = run("import_arxiv", path, "--keep-going")
    assert "1 created" in out and "Line 2: not JSON" in err


def numbered_entries(count, *, broken_at=None, repeated_at=None):
    entries = []
    for i in range(count):
        key = "Paper0" if i == repeated_at else f"Paper{i}"
        title = "" if i == broken_at else f"Title number {i}"
        entries.append(f"@article{{{key},\n  title = {{{title}}},\n  year = {{2020}}\n}}\n")
    return "\n".join(entries)


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr("papers.parallel_parse.PART_ENTRIES", 5)


def test_a_large_file_is_parsed_in_parts_while_importing(db, bib, small_parts):
    out, err = run("import_bibtex", bib(numbered_entries(32)))
    assert "32 created" in out
    assert "7/7 parts, 32 entries" in err
    assert Paper.objects.get(bibtex_key="Paper31").title == "Title number 31"


def test_an_error_in_a_late_part_still_imports_nothing_and_names_its_line(db, bib, small_parts):
    path = bib(numbered_entries(32, broken_at=27))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 entry with errors: nothing imported"):
        call_command("import_bibtex", str(path), stdout=io.StringIO(), stderr=err)
    # Entry 27 starts on line 27 * 5 + 1: each entry is four lines and a blank one.
    assert "Entry 'Paper27' at line 136 has no title" in err.getvalue()
    assert not Paper.objects.exists()


def test_a_key_repeated_in_another_part_is_an_error(db, bib, small_parts):
    with pytest.raises(CommandError, match="nothing imported"):
        run("import_bibtex", bib(numbered_entries(32, repeated_at=30)))
    assert not Paper.objects.exists()


def test_a_key_repeated_in_another_file_is_an_error(db, bib):
    first, second = bib(VASWANI_NIPS, "a.bib"), bib(VASWANI_NIPS, "b.bib")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_bibtex", str(first), str(second), stdout=io.StringIO(), stderr=err)
    assert "repeats the key of the entry at line 1 of" in err.getvalue()


def test_a_large_arxiv_snapshot_is_parsed_in_parts(db, tmp_path, small_parts):
    path = tmp_path / "arxiv.json"
    records = [dict(ARXIV_RECORD, id=f"1611.{i:05d}", title=f"Record {i}") for i in range(12)]
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    out, err = run("import_arxiv", path)
    assert "12 created" in out and "3/3 parts" in err
    assert Paper.objects.get(bibtex_key="journals/corr/1611.00011").title == "Record 11"


def test_importing_new_papers_ends_no_cached_page(
    db, bib, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_SECONDS = 600
    shown = make_paper("conf/nips/Shown15")
    tags = [tag("paper", shown.pk), pagecache.SITE_LISTINGS, tag("year", 2017)]
    before = pagecache.current_versions(tags)
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run("import_bibtex", bib(VASWANI_NIPS))
    assert "1 created" in out
    assert pagecache.current_versions(tags) == before
