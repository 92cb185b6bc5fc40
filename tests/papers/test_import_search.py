import pytest
from django.db import connection, transaction

from papers import importing, search
from papers.bibtex import ParseResult, parse_bibtex
from papers.importing import COPY_THRESHOLD, apply_import, batched_import, plan_import
from papers.models import Paper, SearchDocument
from tests.conftest import make_paper, make_summary

ENTRY = """@inproceedings{conf/x/Quix20,
  title = {Quixotic Transformers for Zebra Crossings},
  author = {Lovelace, Ada and Turing, Alan},
  booktitle = {Workshop on Unusual Models},
  year = {2020}
}"""


def test_imported_papers_are_found_by_search(db):
    apply_import(plan_import(parse_bibtex(ENTRY)), source="BibTeX import")
    found = [paper.bibtex_key for paper in search.search("quixotic zebra")]
    assert found == ["conf/x/Quix20"]
    by_author = [paper.bibtex_key for paper in search.search("Lovelace")]
    assert by_author == ["conf/x/Quix20"]


def _entries(count, start=0):
    """dblp-like entries past COPY_THRESHOLD, with authors, keywords, abstracts and venues."""
    return "".join(
        f"@inproceedings{{conf/nips/Bulk{i},\n"
        f"  title = {{Bulk paper {i} on {'zebra' if i % 2 else 'giraffe'} crossings}},\n"
        f'  author = {{Lovelace, Ada and M{{\\"u}}ller, Gerd and Turing{i % 3}, Alan}},\n'
        f"  booktitle = {{Advances in Neural Information Processing Systems}},\n"
        f"  keywords = {{cs.LG, crossings{i % 4}}},\n"
        f"  abstract = {{We count striped animals number {i} at dawn.}},\n"
        f"  year = {{2020}}\n}}\n"
        for i in range(start, start + count)
    )


def _import_in_batches(text, batch_size, during=None):
    entries = parse_bibtex(text).entries
    with batched_import(expected=len(entries)):
        for start in range(0, len(entries), batch_size):
            batch = ParseResult(entries=entries[start : start + batch_size])
            apply_import(plan_import(batch), source="BibTeX import")
        if during:
            during()


def test_a_batched_import_makes_every_paper_findable(db):
    count = COPY_THRESHOLD + 60
    _import_in_batches(_entries(count), batch_size=COPY_THRESHOLD + 10)
    assert Paper.objects.count() == count
    giraffes = search.search("giraffe")
    assert giraffes.count() == min(count // 2, search.result_cap() or count)
    assert [p.bibtex_key for p in search.search("striped number 7 zebra")][:1] == [
        "conf/nips/Bulk7"
    ]
    assert search.search("Müller crossings3").count() > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL search documents")
def test_documents_built_during_an_import_equal_those_built_from_the_database(db, author):
    # Two batches past COPY_THRESHOLD take the background-connection path; a paper already
    # here with a summary is filled in by the import and reindexed from the database.
    existing = make_paper("conf/nips/Bulk3", title="Bulk paper 3 on zebra crossings")
    make_summary(existing, author, source="A summary about **okapis**.")
    _import_in_batches(_entries(2 * COPY_THRESHOLD + 20), batch_size=COPY_THRESHOLD + 10)
    built = dict(SearchDocument.objects.values_list("paper_id", "vector"))
    assert len(built) == Paper.objects.count()
    search.reindex_ids(list(built))
    rebuilt = dict(SearchDocument.objects.values_list("paper_id", "vector"))
    assert built == rebuilt
    assert [p.bibtex_key for p in search.search("okapis")] == ["conf/nips/Bulk3"]


def test_a_failed_batched_import_leaves_no_papers_and_no_documents(db):
    entries = parse_bibtex(_entries(COPY_THRESHOLD + 20)).entries
    with pytest.raises(RuntimeError), transaction.atomic():
        with batched_import():
            apply_import(plan_import(ParseResult(entries=entries)), source="BibTeX import")
            raise RuntimeError("the disk is full")
    assert not Paper.objects.exists()
    assert not SearchDocument.objects.exists()
    assert search.search("giraffe").count() == 0


def _schema():
    """The foreign keys and GIN indexes of the paper tables, as PostgreSQL defines them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text LIKE 'papers_%'"
            " UNION ALL SELECT indrelid::regclass::text, indexrelid::regclass::text,"
            " pg_get_indexdef(indexrelid), indisvalid FROM pg_index"
            " WHERE indrelid::regclass::text LIKE 'papers_%' ORDER BY 1, 2"
        )
        return cursor.fetchall()


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL DDL of a first load"
)


@postgresql_only
def test_a_first_load_checks_foreign_keys_once_and_puts_everything_back(db, monkeypatch):
    monkeypatch.setattr(importing, "BULK_LOAD_MIN", 100)
    before = _schema()
    seen_during = []
    _import_in_batches(
        _entries(COPY_THRESHOLD + 40), COPY_THRESHOLD, during=lambda: seen_during.append(_schema())
    )
    # While the rows went in, the foreign keys of papers, authorships and keyword links and the
    # full-text index were gone; afterwards they are back exactly as they were, and valid.
    dropped = set(before) - set(seen_during[0])
    assert {row[0] for row in dropped} == {
        "papers_paper",
        "papers_authorship",
        "papers_paper_keywords",
        "papers_searchdocument",
    }
    assert any("USING gin" in row[2] for row in dropped)
    assert _schema() == before
    assert Paper.objects.count() == COPY_THRESHOLD + 40
    assert search.search("giraffe").count() > 0
    assert search.search("Müller crossings3").count() > 0


@postgresql_only
@pytest.mark.parametrize("site", ["with a paper", "empty, small import"])
def test_other_imports_leave_constraints_alone(db, monkeypatch, site):
    if site == "with a paper":
        monkeypatch.setattr(importing, "BULK_LOAD_MIN", 100)
        make_paper("conf/x/Here20", title="A paper that was here first")
    before = _schema()
    seen_during = []
    _import_in_batches(
        _entries(COPY_THRESHOLD + 40), COPY_THRESHOLD, during=lambda: seen_during.append(_schema())
    )
    assert seen_during == [before]


@postgresql_only
def test_a_failed_first_load_restores_constraints_and_leaves_nothing(db, monkeypatch):
    monkeypatch.setattr(importing, "BULK_LOAD_MIN", 100)
    before = _schema()
    entries = parse_bibtex(_entries(COPY_THRESHOLD + 20)).entries
    with pytest.raises(RuntimeError), transaction.atomic():
        with batched_import(expected=len(entries)):
            apply_import(plan_import(ParseResult(entries=entries)), source="BibTeX import")
            assert _schema() != before
            raise RuntimeError("the disk is full")
    assert _schema() == before
    assert not Paper.objects.exists()
    assert not SearchDocument.objects.exists()
