"""Putting parsed entries into the database: one pipeline for the add page and the commands.

``plan_import`` decides what each entry would do (a fixed number of queries per batch of
entries, whatever their number), ``apply_import`` does it in one transaction with bulk
inserts. Rules:

- an entry whose key is already here only fills the paper's empty fields; it never
  overwrites what is there (an entry whose key is an alias changes nothing);
- an entry with the DOI, arXiv id or normalized title and year of a paper already here (or
  of an earlier entry of the same import) becomes an alias of that paper;
- the venue comes from the dblp key or DOI prefix when such a Venue exists, else the entry's
  booktitle or journal is kept as text.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connections, router, transaction
from django.db.models import Field, ForeignObject, Lookup

from . import search
from .bibtex import MAX_ENTRY_CHARS, EntryError, ParsedEntry, ParseResult
from .invalidation import papers_changed
from .models import (
    Author,
    Authorship,
    Keyword,
    Paper,
    PaperAlias,
    SearchDocument,
    Venue,
    title_key_for,
)
from .signals import papers_arrived

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# Shorter normalized titles are too common to say that two entries are the same paper.
TITLE_MATCH_MIN_LENGTH = 20
# Below this many rows, bulk_create is as fast as COPY.
COPY_THRESHOLD = 200
# A batched import of at least this many entries into a site without papers is a first load.
BULK_LOAD_MIN = 10_000
MAX_KEY_LENGTH = Paper._meta.get_field("bibtex_key").max_length
MAX_TITLE_LENGTH = Paper._meta.get_field("title").max_length

NEW = "new"
UPDATE = "update"
UNCHANGED = "unchanged"
ALIAS = "alias"
# The same paper as one here, under a key the importer may not claim for it (see plan_import).
DUPLICATE = "duplicate"
ERROR = "error"

EARLIEST_YEAR = 1000

# The Paper fields an import may fill when they are empty, in the order the preview lists them.
FILLABLE_FIELDS = ("venue", "venue_name", "year", "abstract", "published", "doi", "arxiv_id")


def quiet_bibtexparser():
    """bibtexparser logs a warning per broken block; our errors already say it, per entry."""
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)


def decode_bibtex_bytes(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (with or without a BOM), else Latin-1,
    which older .bib files use and which can read any byte."""
    try:
        return codecs.decode(data, "utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


@dataclass(slots=True)
class PlannedEntry:
    status: str
    key: str
    line: int
    entry: ParsedEntry | None = None
    # For an update: the empty fields the entry fills, with their new values.
    updates: dict = field(default_factory=dict)
    # For an update or an unchanged entry: the paper found; for an alias: the paper it joins.
    paper_key: str = ""
    # Why an entry is an alias ("same DOI"), or what is wrong with it.
    reason: str = ""
    venue_id: int | None = None
    venue_label: str = ""
    title_key: str = ""
    fill_authors: bool = False
    fill_keywords: bool = False

    @property
    def filled_fields(self) -> list[str]:
        names = [name for name in FILLABLE_FIELDS if name in self.updates]
        if self.fill_authors:
            names.append("authors")
        if self.fill_keywords:
            names.append("keywords")
        if "urls" in self.updates:
            names.append("links")
        return names


@dataclass
class ImportPlan:
    items: list[PlannedEntry]

    def of_status(self, status: str) -> list[PlannedEntry]:
        return [item for item in self.items if item.status == status]

    @property
    def errors(self) -> list[PlannedEntry]:
        return self.of_status(ERROR)

    @property
    def has_errors(self) -> bool:
        return any(item.status == ERROR for item in self.items)

    @property
    def changes_anything(self) -> bool:
        return any(item.status in {NEW, UPDATE, ALIAS} for item in self.items)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((NEW, UPDATE, UNCHANGED, ALIAS, DUPLICATE, ERROR), 0)
        for item in self.items:
            counts[item.status] += 1
        return counts


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    aliased: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _chunks(items: list, size: int = BATCH_SIZE) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@Field.register_lookup
class InArray(Lookup):
    """``field = ANY(%s)`` with the values as one array parameter (PostgreSQL): for thousands
    of values, much cheaper to build and to parse than ``IN (%s, %s, ...)``."""

    lookup_name = "in_array"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


ForeignObject.register_lookup(InArray)  # ids of related rows: paper_id__in_array


def _in_chunks(queryset, lookup: str, values: Iterable, *fields: str) -> list:
    """``queryset.filter(<lookup>__in=values).values_list(*fields)``, a query per batch."""
    values = sorted(set(values))
    operator = "in_array" if connections[queryset.db].vendor == "postgresql" else "in"
    rows = []
    for chunk in _chunks(values):
        rows.extend(queryset.filter(**{f"{lookup}__{operator}": chunk}).values_list(*fields))
    return rows


_EXISTING_FIELDS = ("pk", "bibtex_key", "venue_id", *FILLABLE_FIELDS[1:], "urls")


def _error(entry_error: EntryError) -> PlannedEntry:
    return PlannedEntry(
        status=ERROR, key=entry_error.key or "", line=entry_error.line, reason=entry_error.message
    )


def _matchable(title_key: str) -> str:
    """The title key, if the title is distinctive enough to recognize a paper by (with its
    year); "" for titles such as "Introduction" or "Editorial"."""
    return title_key if len(title_key) >= TITLE_MATCH_MIN_LENGTH else ""


def _entry_problem(entry: ParsedEntry) -> str:
    where = f"Entry '{entry.key}' at line {entry.line}"
    if len(entry.key) > MAX_KEY_LENGTH:
        return f"{where}: the key is longer than {MAX_KEY_LENGTH} characters"
    if "?" in entry.key or "#" in entry.key:
        return f"{where}: the key must not contain ? or # (it is part of the paper's address)"
    if len(entry.title) > MAX_TITLE_LENGTH:
        return f"{where}: the title is longer than {MAX_TITLE_LENGTH} characters"
    if len(entry.raw) > MAX_ENTRY_CHARS:
        return (
            f"{where}: the entry is {len(entry.raw):,} characters long; an entry can have at "
            f"most {MAX_ENTRY_CHARS:,} (is the abstract very long?)"
        )
    latest_year = datetime.date.today().year + 5
    if entry.year is not None and not EARLIEST_YEAR <= entry.year <= latest_year:
        return (
            f"{where}: {entry.year} is not a year a paper can have "
            f"(between {EARLIEST_YEAR} and {latest_year})"
        )
    return ""


def _empty_field_updates(existing: dict, entry: ParsedEntry, venue_id: int | None) -> dict:
    candidates = {
        "venue": venue_id,
        "venue_name": entry.venue_name[:500],
        "year": entry.year,
        "abstract": entry.abstract,
        "published": entry.published,
        "doi": entry.doi[:255],
        "arxiv_id": entry.arxiv_id[:50],
        "urls": entry.urls,
    }
    updates = {}
    for name, value in candidates.items():
        current = existing["venue_id" if name == "venue" else name]
        if value and not current:
            updates[name] = value
    return updates


def plan_import(parsed: ParseResult, *, may_alias: bool = True) -> ImportPlan:
    """What importing these entries would do, entry by entry; changes nothing.

    An entry under a new key that is the same paper as one here (same DOI, arXiv id or title
    and year) makes its key an alias of that paper only when `may_alias` (a moderator's or a
    command's import); otherwise it is a DUPLICATE that points to the paper and adds nothing,
    so no one claims a key for a paper for good by importing it.

    A fixed number of queries per batch of BATCH_SIZE entries.
    """
    items = [_error(error) for error in parsed.errors]
    entries = []
    for entry in parsed.entries:
        problem = _entry_problem(entry)
        if problem:
            items.append(PlannedEntry(status=ERROR, key=entry.key, line=entry.line, reason=problem))
        else:
            entries.append(entry)

    keys = {entry.key for entry in entries}
    alias_targets = dict(_in_chunks(PaperAlias.objects, "key", keys, "key", "paper_id"))
    existing_by_pk = {
        row["pk"]: row
        for chunk in _chunks(sorted(keys))
        for row in Paper.objects.filter(bibtex_key__in=chunk).values(*_EXISTING_FIELDS)
    }
    missing_pks = set(alias_targets.values()) - set(existing_by_pk)
    for chunk in _chunks(sorted(missing_pks)):
        for row in Paper.objects.filter(pk__in=chunk).values(*_EXISTING_FIELDS):
            existing_by_pk[row["pk"]] = row
    existing_by_key = {row["bibtex_key"]: row for row in existing_by_pk.values()}
    for alias_key, paper_id in alias_targets.items():
        existing_by_key.setdefault(alias_key, existing_by_pk[paper_id])
    with_authors = set(
        pk for (pk,) in _in_chunks(Authorship.objects, "paper_id", existing_by_pk, "paper_id")
    )
    with_keywords = set(
        pk
        for (pk,) in _in_chunks(
            Paper.keywords.through.objects, "paper_id", existing_by_pk, "paper_id"
        )
    )

    # Papers already here with the same DOI, arXiv id or normalized title and year.
    by_doi: dict[str, str] = {}
    by_arxiv: dict[str, str] = {}
    by_title: dict[tuple[str, int | None], str] = {}
    dois = {entry.doi for entry in entries if entry.doi}
    for doi, key in _in_chunks(Paper.objects.order_by("pk"), "doi", dois, "doi", "bibtex_key"):
        by_doi.setdefault(doi, key)
    arxiv_ids = {entry.arxiv_id for entry in entries if entry.arxiv_id}
    for arxiv_id, key in _in_chunks(
        Paper.objects.order_by("pk"), "arxiv_id", arxiv_ids, "arxiv_id", "bibtex_key"
    ):
        by_arxiv.setdefault(arxiv_id, key)
    title_key_of = {id(entry): title_key_for(entry.title) for entry in entries}
    title_keys = set(map(_matchable, title_key_of.values()))
    title_keys.discard("")
    for title_key, year, key in _in_chunks(
        Paper.objects.order_by("pk"), "title_key", title_keys, "title_key", "year", "bibtex_key"
    ):
        by_title.setdefault((title_key, year), key)

    venue_keys = {entry.venue_key for entry in entries if entry.venue_key}
    venues = {
        key: (pk, short_name or name)
        for key, pk, name, short_name in _in_chunks(
            Venue.objects, "key", venue_keys, "key", "pk", "name", "short_name"
        )
    }

    for entry in entries:
        venue_id, venue_label = venues.get(entry.venue_key, (None, entry.venue_name))
        existing = existing_by_key.get(entry.key)
        if existing is not None:
            updates = _empty_field_updates(existing, entry, venue_id)
            item = PlannedEntry(
                status=UNCHANGED,
                key=entry.key,
                line=entry.line,
                entry=entry,
                updates=updates,
                paper_key=existing["bibtex_key"],
                venue_id=venue_id,
                venue_label=venue_label,
                fill_authors=bool(entry.authors) and existing["pk"] not in with_authors,
                fill_keywords=bool(entry.keywords) and existing["pk"] not in with_keywords,
            )
            if entry.key in alias_targets:
                # Another key of a paper: like a new alias, it does not change the paper.
                item.updates, item.fill_authors, item.fill_keywords = {}, False, False
            elif item.updates or item.fill_authors or item.fill_keywords:
                item.status = UPDATE
                # Fill once, even if another key of the same paper comes later.
                with_authors.add(existing["pk"])
                with_keywords.add(existing["pk"])
                for name, value in updates.items():
                    existing["venue_id" if name == "venue" else name] = value
            items.append(item)
            continue

        title_key = (_matchable(title_key_of[id(entry)]), entry.year)
        matches = [
            (by_doi.get(entry.doi) if entry.doi else None, "the same DOI"),
            (by_arxiv.get(entry.arxiv_id) if entry.arxiv_id else None, "the same arXiv id"),
            (by_title.get(title_key) if title_key[0] else None, "the same title and year"),
        ]
        target, reason = next(((key, why) for key, why in matches if key), (None, ""))
        if target is not None:
            items.append(
                PlannedEntry(
                    status=ALIAS if may_alias else DUPLICATE,
                    key=entry.key,
                    line=entry.line,
                    entry=entry,
                    paper_key=target,
                    reason=reason,
                    venue_label=venue_label,
                )
            )
            continue

        items.append(
            PlannedEntry(
                status=NEW,
                key=entry.key,
                line=entry.line,
                entry=entry,
                venue_id=venue_id,
                venue_label=venue_label,
                title_key=title_key_of[id(entry)],
            )
        )
        if entry.doi:
            by_doi.setdefault(entry.doi, entry.key)
        if entry.arxiv_id:
            by_arxiv.setdefault(entry.arxiv_id, entry.key)
        if title_key[0]:
            by_title.setdefault(title_key, entry.key)

    items.sort(key=lambda item: item.line)
    return ImportPlan(items=items)


def _new_paper(item: PlannedEntry, *, source: str, now: datetime.datetime) -> dict:
    """The new paper's field values by attribute name; the others take their defaults."""
    entry = item.entry
    return {
        "bibtex_key": entry.key,
        "entry_type": entry.entry_type[:30],
        "title": entry.title,
        "title_key": item.title_key or title_key_for(entry.title),
        "venue_id": item.venue_id,
        "venue_name": entry.venue_name[:500],
        "year": entry.year if entry.year and 0 < entry.year < 32768 else None,
        "abstract": entry.abstract,
        "published": entry.published,
        "doi": entry.doi[:255],
        "arxiv_id": entry.arxiv_id[:50],
        "urls": entry.urls,
        "source": source[:50],
        "bibtex": entry.raw,
        "created": now,
        "updated": now,
    }


def _authors(names: Iterable[str], slug) -> dict[str, tuple[int, str]]:
    """(id, name as stored) of the author by slug for these display names, creating the
    authors that are missing."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(slug(name), name[:300])
    found = _in_chunks(Author.objects, "slug", wanted, "slug", "pk", "name")
    authors = {slug: (pk, name) for slug, pk, name in found}
    missing = [Author(slug=slug, name=name) for slug, name in wanted.items() if slug not in authors]
    if missing:
        Author.objects.bulk_create(missing, batch_size=BATCH_SIZE, ignore_conflicts=True)
        found = _in_chunks(Author.objects, "slug", [a.slug for a in missing], "slug", "pk", "name")
        authors.update((slug, (pk, name)) for slug, pk, name in found)
    return authors


def _keyword_ids(names: Iterable[str]) -> dict[str, int]:
    wanted = {name[:100] for name in names if name}
    ids = dict(_in_chunks(Keyword.objects, "name", wanted, "name", "pk"))
    missing = [Keyword(name=name) for name in sorted(wanted - set(ids))]
    if missing:
        Keyword.objects.bulk_create(missing, batch_size=BATCH_SIZE, ignore_conflicts=True)
        ids.update(_in_chunks(Keyword.objects, "name", [k.name for k in missing], "name", "pk"))
    return ids


def _slug_cache():
    cache: dict[str, str] = {}

    def slug(name: str) -> str:
        value = cache.get(name)
        if value is None:
            value = cache[name] = Author.slug_for(name)
        return value

    return slug


class _SearchDocuments:
    """The search documents of the papers that a batched import writes.

    On PostgreSQL, the documents of new papers are computed from their text by a second
    connection, in a background thread, while the import goes on with the next batch (the
    text search parser costs about as much as all the rest of the import); they are written
    with COPY as they arrive. Papers filled in (which may have summaries) are reindexed from
    the database at the end, as are new papers when a batch is too small to bother."""

    def __init__(self):
        self.reindex: set[int] = set()
        self.pending: list = []
        self.executor = None

    def add_new(self, rows: list[tuple]) -> None:
        """rows: (paper id, venue id, year, (title, authors, abstract, keywords))."""
        if _use_copy(SearchDocument, len(rows)) is None:
            self.reindex.update(row[0] for row in rows)
            return
        if self.executor is None:
            self.executor = ThreadPoolExecutor(1, thread_name_prefix="search-documents")
        texts = [row[3] for row in rows]
        self.pending.append((rows, self.executor.submit(search.new_paper_vectors, texts)))
        self._write(finished_only=True)

    def _write(self, finished_only: bool) -> None:
        fields = [SearchDocument._meta.get_field(name) for name in _DOCUMENT_FIELDS]
        while self.pending and (self.pending[0][1].done() or not finished_only):
            rows, future = self.pending.pop(0)
            vectors = future.result()
            _copy(
                _use_copy(SearchDocument, len(rows)),
                SearchDocument,
                fields,
                (
                    (row[0], vector, 0, row[1], row[2])
                    for row, vector in zip(rows, vectors, strict=True)
                ),
            )

    def finish(self) -> None:
        self._write(finished_only=False)
        search.reindex_ids(sorted(self.reindex))

    def close(self) -> None:
        if self.executor is not None:
            # The thread's own connection is closed in that thread.
            self.executor.submit(connections.close_all)
            self.executor.shutdown(wait=True, cancel_futures=False)


_DOCUMENT_FIELDS = ("paper", "vector", "prior", "venue", "year")
# Inside batched_import(): the search documents still to be written.
_search_documents: ContextVar[_SearchDocuments | None] = ContextVar("documents", default=None)


class _FirstLoad:
    """Foreign keys and the full-text index, dropped for a first load and rebuilt after it.

    Checked row by row, the foreign keys of a first load's authorships, keyword links and
    papers cost more at commit than the whole load of their rows; checked once by
    ``ALTER TABLE ... ADD CONSTRAINT``, which PostgreSQL does with one anti-join, under a
    second. A GIN index too is built faster in one go than row by row. Both are put back from
    the definitions PostgreSQL gives for them, in the same transaction: a failed import rolls
    their removal back with everything else. Until the import commits, readers of those
    tables wait; with no papers on the site yet, few read them."""

    def __init__(self, connection):
        self.connection = connection
        self.constraints: list[tuple[str, str, str]] = []
        self.indexes: list[tuple[str, str]] = []

    @classmethod
    def start(cls, expected: int):
        """Drop them when ``expected`` entries go into a PostgreSQL site without papers."""
        connection = connections[router.db_for_write(Paper)]
        if (
            expected < BULK_LOAD_MIN
            or connection.vendor != "postgresql"
            or Paper.objects.using(connection.alias).exists()
        ):
            return None
        load = cls(connection)
        tables = [model._meta.db_table for model in (Paper, Authorship, Paper.keywords.through)]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])"
                " ORDER BY conrelid::regclass::text, conname",
                [tables],
            )
            load.constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
                " JOIN pg_class ON pg_class.oid = indexrelid JOIN pg_am ON pg_am.oid = relam"
                " WHERE indrelid = %s::regclass AND amname = 'gin' ORDER BY 1",
                [SearchDocument._meta.db_table],
            )
            load.indexes = cursor.fetchall()
            for table, name, _ in load.constraints:
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _ in load.indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        return load

    def finish(self) -> None:
        quote = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            for _, definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition in self.constraints:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )


@contextmanager
def batched_import(expected: int = 0) -> Iterator[None]:
    """For an import applied in many batches, in one transaction: build the search documents
    of the papers written alongside (see _SearchDocuments) rather than batch by batch; for a
    first load of ``expected`` entries into an empty site, check foreign keys and build the
    full-text index once at the end (see _FirstLoad)."""
    if _search_documents.get() is not None:  # already inside one
        yield
        return
    documents = _SearchDocuments()
    token = _search_documents.set(documents)
    try:
        with transaction.atomic():
            first_load = _FirstLoad.start(expected)
            yield
            documents.finish()
            if first_load is not None:
                first_load.finish()
    finally:
        _search_documents.reset(token)
        documents.close()


def prefer_index_scans() -> None:
    """For the rest of the transaction, look rows up by index (PostgreSQL only).

    A bulk import grows the tables far beyond what the planner's statistics say (they are
    refreshed only later, by autovacuum), and the planner then reads whole tables to look
    up 2,000 keys: every batch gets slower as the import goes on. The same wrong estimates
    make it start parallel workers for lookups that find a row or two, which costs more
    than the lookup.
    """
    connection = connections[router.db_for_write(Paper)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")


def _copy(connection, model, fields: list, rows: Iterable[Iterable]) -> None:
    """COPY rows of plain values (str, int, bool, dates, None) for these fields of ``model``,
    in CSV, which the C csv writer produces far faster than Python escapes text format. An
    unquoted empty field is NULL, except in columns that cannot be NULL, where it is ""."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    text = buffer.getvalue()
    if "\x00" in text:  # PostgreSQL refuses NUL in text; no one means one
        text = text.replace("\x00", "")
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    not_null = ", ".join(quote(field.column) for field in fields if not field.null)
    options = f"FORMAT csv, FORCE_NOT_NULL ({not_null})" if not_null else "FORMAT csv"
    sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN WITH ({options})"
    with connection.cursor() as cursor:
        cursor.copy_expert(sql, io.StringIO(text))


def _use_copy(model, count: int):
    """The connection to COPY into, when that is the faster way to insert ``count`` rows."""
    connection = connections[router.db_for_write(model)]
    return connection if connection.vendor == "postgresql" and count >= COPY_THRESHOLD else None


def _insert(model, rows: list[dict]) -> list:
    """Insert rows given as field values by attribute name (missing fields take their
    defaults); their primary keys, in order (None where the database cannot say).

    bulk_create, or on PostgreSQL a COPY, several times faster for large imports, without a
    model instance per row."""
    connection = _use_copy(model, len(rows))
    if connection is None:
        objects = [model(**row) for row in rows]
        model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return [obj.pk for obj in objects]
    table, pk = model._meta.db_table, model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(rows)],
        )
        pks = [pk_value for (pk_value,) in cursor.fetchall()]
    fields = [field for field in model._meta.concrete_fields if field is not pk]
    defaults = [field.get_default() for field in fields]
    # JSON goes as its text; str, numbers, dates and None as the csv writer writes them.
    json_at = [i for i, field in enumerate(fields) if field.get_internal_type() == "JSONField"]

    def values(pk_value, row):
        line = [pk_value]
        line.extend(row.get(f.attname, d) for f, d in zip(fields, defaults, strict=True))
        for i in json_at:
            line[i + 1] = json.dumps(line[i + 1])
        return line

    _copy(connection, model, [pk, *fields], map(values, pks, rows))
    return pks


def _insert_links(model, field_names: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows of a link table given as tuples of ids (and numbers), without building a
    model instance per row when COPY can take them."""
    connection = _use_copy(model, len(rows))
    if connection is None:
        objects = [model(**dict(zip(field_names, row, strict=True))) for row in rows]
        model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return
    _copy(connection, model, [model._meta.get_field(name) for name in field_names], rows)


@transaction.atomic
def apply_import(plan: ImportPlan, *, source: str, user=None) -> ImportResult:
    """Create, fill and alias papers as planned, all or nothing; refuses a plan with errors.

    ``user`` is who asked for the import, for the log (papers have no owner).
    """
    if plan.has_errors:
        raise ValueError("An import plan with errors cannot be applied.")
    result = ImportResult()
    now = datetime.datetime.now(datetime.UTC)
    new_items = plan.of_status(NEW)
    update_items = plan.of_status(UPDATE)
    alias_items = plan.of_status(ALIAS)

    papers = [_new_paper(item, source=source, now=now) for item in new_items]
    pks = _insert(Paper, papers)
    paper_ids = {paper["bibtex_key"]: pk for paper, pk in zip(papers, pks, strict=True)}
    if any(pk is None for pk in paper_ids.values()):  # databases without RETURNING
        paper_ids.update(_in_chunks(Paper.objects, "bibtex_key", paper_ids, "bibtex_key", "pk"))
    targets = {item.paper_key for item in update_items + alias_items} - set(paper_ids)
    paper_ids.update(_in_chunks(Paper.objects, "bibtex_key", targets, "bibtex_key", "pk"))

    for item in update_items:
        if item.updates:
            fields = {("venue_id" if n == "venue" else n): v for n, v in item.updates.items()}
            Paper.objects.filter(pk=paper_ids[item.paper_key]).update(**fields, updated=now)
    # Filled-in papers show more; new papers are shown nowhere yet.
    papers_changed([paper_ids[item.paper_key] for item in update_items])

    with_authors = [(paper_ids[i.entry.key], i.entry) for i in new_items if i.entry.authors]
    with_authors += [(paper_ids[i.paper_key], i.entry) for i in update_items if i.fill_authors]
    slug = _slug_cache()
    authors = _authors((name for _, entry in with_authors for name in entry.authors), slug)
    authorships = []
    # The text of each new paper's search document: title, authors, abstract, keywords.
    texts = {paper_ids[p["bibtex_key"]]: [p["title"], "", p["abstract"], ""] for p in papers}
    for paper_id, entry in with_authors:
        seen = {}
        for name in entry.authors:
            author_id, stored_name = authors[slug(name)]
            # An author listed twice under one slug keeps the first place.
            if author_id not in seen:
                seen[author_id] = stored_name
                authorships.append((paper_id, author_id, len(seen) - 1))
        if paper_id in texts:
            texts[paper_id][1] = " ".join(seen.values())
    _insert_links(Authorship, ("paper_id", "author_id", "position"), authorships)

    with_keywords = [(paper_ids[i.entry.key], i.entry) for i in new_items if i.entry.keywords]
    with_keywords += [(paper_ids[i.paper_key], i.entry) for i in update_items if i.fill_keywords]
    keyword_ids = _keyword_ids(name for _, entry in with_keywords for name in entry.keywords)
    Through = Paper.keywords.through
    links = {
        (paper_id, keyword_ids[name[:100]])
        for paper_id, entry in with_keywords
        for name in entry.keywords
        if name
    }
    _insert_links(Through, ("paper_id", "keyword_id"), sorted(links))
    for paper_id, entry in with_keywords:
        if paper_id in texts:
            texts[paper_id][3] = " ".join(sorted({name[:100] for name in entry.keywords if name}))

    PaperAlias.objects.bulk_create(
        [
            PaperAlias(key=item.key, paper_id=paper_ids[item.paper_key], created=now)
            for item in alias_items
        ],
        batch_size=BATCH_SIZE,
    )

    result.created = [item.key for item in new_items]
    result.updated = [item.key for item in update_items]
    result.aliased = [item.key for item in alias_items]
    result.unchanged = [item.key for item in plan.of_status(UNCHANGED)]
    # New and filled-in papers must be findable: bulk writes bypass Paper.save().
    documents = _search_documents.get()
    if documents is None:
        written = {paper_ids[key] for key in result.created + result.updated}
        search.reindex_ids(sorted(written))
    else:
        documents.reindex.update(paper_ids[key] for key in result.updated)
        documents.add_new(
            [
                (pk, paper["venue_id"], paper["year"], texts[pk])
                for paper in papers
                for pk in [paper_ids[paper["bibtex_key"]]]
            ]
        )
    arrived = result.created + result.aliased
    for chunk in _chunks(arrived):
        papers_arrived.send(sender=Paper, keys=chunk)
    if user is not None:
        logger.info(
            "%s imported BibTeX: %d created, %d updated, %d aliased",
            user,
            len(result.created),
            len(result.updated),
            len(result.aliased),
        )
    return result
