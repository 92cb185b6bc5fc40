"""Full-text search over papers and the text of their public summaries.

One document per paper, weighted: title (A) above authors (B) above abstract and keywords (C)
above the text of its public summaries (D). Private, hidden and deleted summaries never enter
it, so they can never be found. Two implementations behind one API, picked by the database:

Every word of the query must match, as the start of a word ("batch norm" finds "Batch
Normalization"); words shorter than PREFIX_MIN_LENGTH must match whole.

- PostgreSQL: a stored tsvector in the narrow table SearchDocument with a GIN index, queried
  with to_tsquery prefixes (`batch:* & norm:*`); at most RANKED_CANDIDATES matches (most
  public summaries first, then newest) are ranked by ts_rank; snippets from ts_headline.
- SQLite: an FTS5 table `papers_paper_fts` (rowid = paper id), ranked by bm25, snippets
  from FTS5's snippet(). Created by the migration, so search works out of the box.

Both are kept current by `reindex()`, reached through `Paper.objects...update_search_vectors()`.
"""

import json
import re
import time

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import BooleanField, F, Func, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Replace, Substr
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .bibtex import arxiv_key, resolve_identifier
from .models import ARXIV_NEW_STYLE, Authorship, Paper, PaperAlias, SearchDocument

CONFIG = "english"
FTS_TABLE = "papers_paper_fts"
# bm25 weights for the FTS5 columns title, authors, body (abstract + keywords), summaries.
FTS_WEIGHTS = "10.0, 5.0, 2.0, 1.0"
REINDEX_BATCH = 500
# From this many papers on, PostgreSQL builds their documents with parallel workers.
PARALLEL_REINDEX = 5000
# On PostgreSQL at most this many matches are ranked (see _postgres_search).
RANKED_CANDIDATES = 500
SNIPPET_SOURCE_CHARS = 3000
# Snippet markers no one types; the text is escaped first, then they become <mark>.
START, STOP = "\x02", "\x03"
# Words this long or longer match as prefixes; shorter ones whole (a one-letter prefix would
# match most of the library).
PREFIX_MIN_LENGTH = 3


def query_words(text):
    """The words of a query, lower-cased, as letters and digits only (so no word can be
    query syntax on either backend)."""
    return re.findall(r"[^\W_]+", text.lower())[:32]


def search(text, *, venue=None, year_from=None, year_to=None, has_summaries=False):
    """Papers matching `text`, best first, each annotated with `rank` (higher is better).

    `venue` is a venue key; the year bounds are inclusive; `has_summaries` keeps only papers
    with at least one public summary. An empty or unsearchable query finds nothing."""
    filters = {
        "venue": venue,
        "year_from": year_from,
        "year_to": year_to,
        "has_summaries": has_summaries,
    }
    if not text or not query_words(text):
        return Paper.objects.none()
    if connection.vendor == "postgresql":
        return _postgres_search(text, filters)
    return _sqlite_search(_filtered(Paper.objects.all(), "public_summary_count", filters), text)


def _filtered(queryset, count_field, filters):
    """Apply the search filters to papers or to search documents (the same field names, but
    for where the public-summary count is kept)."""
    if filters["venue"]:
        queryset = queryset.filter(venue__key=filters["venue"])
    if filters["year_from"]:
        queryset = queryset.filter(year__gte=filters["year_from"])
    if filters["year_to"]:
        queryset = queryset.filter(year__lte=filters["year_to"])
    if filters["has_summaries"]:
        queryset = queryset.filter(**{f"{count_field}__gt": 0})
    return queryset


def result_cap():
    """How many results a search can return at most, or None when there is no cap."""
    return RANKED_CANDIDATES if connection.vendor == "postgresql" else None


def attach_snippets(papers, text):
    """Set `paper.snippet` (safe HTML with <mark>ed terms, or "") on each paper of a page of
    results: from its public summaries when they match, otherwise from its abstract."""
    papers = list(papers)
    if not papers:
        return papers
    ids = [paper.pk for paper in papers]
    if connection.vendor == "postgresql":
        found = _postgres_snippets(ids, text)
    else:
        found = _sqlite_snippets(ids, text)
    for paper in papers:
        candidates = found.get(paper.pk, ())
        paper.snippet = next(
            (_marked_html(snippet) for snippet in candidates if snippet and START in snippet), ""
        )
    return papers


def reindex(papers):
    """Rebuild the search document of each paper in the queryset `papers`."""
    reindex_ids(list(papers.order_by().values_list("pk", flat=True)))


def reindex_ids(ids):
    """Rebuild the search documents of the papers with these primary keys."""
    if not ids:
        return
    if connection.vendor == "postgresql":
        _postgres_reindex(ids)
    else:
        _sqlite_reindex(ids)


MARKDOWN_NOISE = re.compile(r"\*\*|__|`+|(?:^|(?<=\s))#+\s")


def _without_markers(expression):
    """The text with the snippet markers taken out, so that only the search places them."""
    return Replace(Replace(expression, Value(START), Value("")), Value(STOP), Value(""))


def _strip_markers(text):
    return text.replace(START, "").replace(STOP, "")


def _marked_html(snippet):
    """Escape a snippet of source text, drop Markdown's loudest markup, <mark> the matches."""
    text = escape(MARKDOWN_NOISE.sub("", " ".join(snippet.split())))
    return mark_safe(text.replace(START, "<mark>").replace(STOP, "</mark>"))


# The public summaries whose text is part of a paper's search document: a function returning
# a queryset, registered by the summaries app (which depends on papers, not the reverse).
_summary_source = None


def index_summaries_from(public_summaries):
    global _summary_source
    _summary_source = public_summaries


def _public_summaries():
    return _summary_source()


# PostgreSQL ---------------------------------------------------------------------------------


def _joined_text(queryset, field):
    """A correlated subquery: the paper's `field` values joined with spaces."""
    return Subquery(
        queryset.filter(paper=OuterRef("pk"))
        .order_by()
        .values("paper")
        .annotate(text=StringAgg(field, " "))
        .values("text")
    )


def _texts_by_paper(queryset, field, order_by=()):
    """SQL and parameters of (paper_id, text): each paper's `field` values joined by spaces."""
    grouped = (
        queryset.order_by()
        .values("paper_id")
        .annotate(text=StringAgg(field, " ", order_by=order_by))
        .values("paper_id", "text")
    )
    return grouped.query.sql_with_params()


def _vector_sql(title, authors, body, summaries):
    """The document: SQL of a weighted tsvector from SQL text expressions for its parts."""
    return " || ".join(
        f"setweight(to_tsvector(%s::regconfig, {text}), '{weight}')"
        for text, weight in ((title, "A"), (authors, "B"), (body, "C"), (summaries, "D"))
    )


def new_paper_vectors(texts):
    """The search documents, as tsvector text, of new papers (which have no summaries yet)
    given as (title, author names, abstract, keyword names) tuples: the same documents
    reindex() builds from the database, computed from the text alone, so that any
    connection can do it. PostgreSQL only."""
    titles, authors, abstracts, keywords = (list(column) for column in zip(*texts, strict=True))
    vector = _vector_sql("title", "authors", "abstract || ' ' || keywords", "''")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ({vector})::text FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[])"
            " WITH ORDINALITY AS paper(title, authors, abstract, keywords, n) ORDER BY n",
            [CONFIG] * 4 + [titles, authors, abstracts, keywords],
        )
        return [vector for (vector,) in cursor.fetchall()]


def _postgres_reindex(ids):
    """One set-based statement for all the papers: each part of the document (authors,
    keywords, summaries) is aggregated once per part, not looked up paper by paper; for many
    papers the documents are first computed into a temporary table, which PostgreSQL may
    build with parallel workers (an INSERT never runs in parallel)."""
    parts, params = [], []
    for alias, (sql, part_params) in {
        "authors": _texts_by_paper(Authorship.objects, "author__name", "position"),
        "keywords": _texts_by_paper(
            Paper.keywords.through.objects, "keyword__name", "keyword__name"
        ),
        "summaries": _texts_by_paper(_public_summaries(), "plain_text"),
    }.items():
        # The outer condition on the grouping column is pushed down into the aggregation.
        parts.append(f"LEFT JOIN ({sql}) {alias} ON {alias}.paper_id = paper.id")
        params.extend(part_params)
    vector = _vector_sql(
        "COALESCE(paper.title, '')",
        "COALESCE(authors.text, '')",
        "COALESCE(paper.abstract, '') || ' ' || COALESCE(keywords.text, '')",
        "COALESCE(summaries.text, '')",
    )
    select = (
        f"SELECT paper.id, {vector}, paper.public_summary_count, paper.venue_id, paper.year"
        f" FROM {Paper._meta.db_table} paper {' '.join(parts)}"
        " WHERE paper.id = ANY(%s::bigint[])"
    )
    params = [CONFIG] * 4 + params + [ids]
    table = SearchDocument._meta.db_table
    columns = "paper_id, vector, prior, venue_id, year"
    upsert = (
        " ON CONFLICT (paper_id) DO UPDATE SET vector = EXCLUDED.vector,"
        " prior = EXCLUDED.prior, venue_id = EXCLUDED.venue_id, year = EXCLUDED.year"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if len(ids) < PARALLEL_REINDEX:
            cursor.execute(f"INSERT INTO {table} ({columns}) {select}{upsert}", params)
            return
        # An import may have turned sequential scans and parallel workers off for its
        # lookups (importing.prefer_index_scans); this wants them.
        settings = ("enable_seqscan", "max_parallel_workers_per_gather")
        cursor.execute("SELECT current_setting(%s), current_setting(%s)", settings)
        before = cursor.fetchone()
        cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather TO DEFAULT")
        cursor.execute(f"CREATE TEMPORARY TABLE search_reindex ON COMMIT DROP AS {select}", params)
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM search_reindex{upsert}")
        cursor.execute("DROP TABLE search_reindex")
        for name, value in zip(settings, before, strict=True):
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _postgres_query(text):
    """Every word required, long ones as prefixes: `batch:* & norm:*` (to_tsquery stems each,
    as the documents were)."""
    terms = [f"{word}:*" if len(word) >= PREFIX_MIN_LENGTH else word for word in query_words(text)]
    return SearchQuery(" & ".join(terms), search_type="raw", config=CONFIG)


def _postgres_search(text, filters):
    # Ranking reads every matching document, and a common word matches most of the library;
    # so rank at most RANKED_CANDIDATES matches, preferring papers with summaries, then newer.
    # They are fetched once, here, so that counting and paging the results does not match again.
    query = _postgres_query(text)
    matching = _filtered(SearchDocument.objects.all(), "prior", filters)
    # Testing a document against the query means decompressing its vector, which the planner
    # does not count. So choose the plan here: for many matches, walk the documents in static
    # rank order until enough match (the match written so that the GIN index cannot serve
    # it); otherwise let the GIN index find them all, then sort (the order written so that the
    # static-rank index cannot serve it).
    estimate = _estimated_rows(matching.filter(vector=query).values("paper_id").query)
    if estimate**2 > 10 * RANKED_CANDIDATES * _table_rows():
        matching = matching.filter(Matches(F("vector"), query))
        order = ("-prior", "-paper_id")
    else:
        matching = matching.filter(vector=query)
        order = ((F("prior") + 0).desc(), (F("paper_id") + 0).desc())
    candidates = list(
        matching.order_by(*order).values_list("paper_id", flat=True)[:RANKED_CANDIDATES]
    )
    return (
        Paper.objects.filter(pk__in=candidates)
        .annotate(rank=SearchRank(F("search_document__vector"), query))
        .order_by("-rank", "-public_summary_count", "-pk")
    )


class Matches(Func):
    """``(vector @@ query) IS TRUE``: the same test as ``vector @@ query``, but one that no
    index can answer, so the rows are read in the order asked for and tested one by one."""

    template = "(%(expressions)s) IS TRUE"
    arg_joiner = " @@ "
    output_field = BooleanField()


def _estimated_rows(query):
    """The planner's estimate of how many documents match, before any LIMIT."""
    query = query.clone()
    query.clear_limits()
    query.clear_ordering(force=True)
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]["Plan Rows"]


_table_rows_read = {"at": -float("inf"), "rows": 1.0}
TABLE_ROWS_TTL = 300  # seconds: the estimate changes slowly, with autovacuum


def _table_rows():
    """The planner's idea of how many documents there are, read at most every few minutes."""
    now = time.monotonic()
    if now - _table_rows_read["at"] > TABLE_ROWS_TTL:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT greatest(reltuples, 1) FROM pg_class WHERE oid = %s::regclass",
                [SearchDocument._meta.db_table],
            )
            _table_rows_read.update(at=now, rows=cursor.fetchone()[0])
    return _table_rows_read["rows"]


def _postgres_snippets(ids, text):
    query = _postgres_query(text)
    options = {
        "config": CONFIG,
        "start_sel": START,
        "stop_sel": STOP,
        "max_words": 30,
        "min_words": 12,
        "max_fragments": 2,
        "fragment_delimiter": " … ",
    }
    rows = (
        Paper.objects.filter(pk__in=ids)
        .annotate(
            # ts_headline parses all it is given: the start of long summaries is enough.
            from_summaries=SearchHeadline(
                _without_markers(
                    Substr(_joined_text(_public_summaries(), "plain_text"), 1, SNIPPET_SOURCE_CHARS)
                ),
                query,
                **options,
            ),
            from_abstract=SearchHeadline(_without_markers(F("abstract")), query, **options),
        )
        .values_list("pk", "from_summaries", "from_abstract")
    )
    return {pk: (from_summaries, from_abstract) for pk, from_summaries, from_abstract in rows}


# SQLite FTS5 --------------------------------------------------------------------------------


def fts5_expression(text):
    """The user's words as an FTS5 query that cannot be a syntax error: each word quoted,
    all required, long ones as prefixes (`"batch"* "norm"*`)."""
    return " ".join(
        f'"{word}"*' if len(word) >= PREFIX_MIN_LENGTH else f'"{word}"'
        for word in query_words(text)
    )


def _sqlite_search(papers, text):
    expression = fts5_expression(text)
    if not expression:
        return papers.none()
    matching = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (expression,))
    # bm25() is lower for better matches; negate it so that higher is better on both backends.
    rank = RawSQL(
        f"SELECT -bm25({FTS_TABLE}, {FTS_WEIGHTS}) FROM {FTS_TABLE}"
        f" WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.rowid = papers_paper.id",
        (expression,),
    )
    return (
        papers.filter(pk__in=matching)
        .annotate(rank=rank)
        .order_by("-rank", "-public_summary_count", "-pk")
    )


def _sqlite_snippets(ids, text):
    expression = fts5_expression(text)
    if not expression:
        return {}
    placeholders = ", ".join(["%s"] * len(ids))
    # Columns 3 (summaries) and 2 (abstract and keywords), in that order of preference.
    sql = (
        f"SELECT rowid, snippet({FTS_TABLE}, 3, %s, %s, ' … ', 24),"
        f" snippet({FTS_TABLE}, 2, %s, %s, ' … ', 24)"
        f" FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid IN ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [START, STOP, START, STOP, expression, *ids])
        return {pk: (from_summaries, from_abstract) for pk, from_summaries, from_abstract in cursor}


def _sqlite_reindex(ids):
    for start in range(0, len(ids), REINDEX_BATCH):
        batch = ids[start : start + REINDEX_BATCH]
        documents = Paper.objects.filter(pk__in=batch).prefetch_related(
            Prefetch("authorships", queryset=Authorship.objects.select_related("author")),
            "keywords",
            Prefetch("summaries", queryset=_public_summaries(), to_attr="public_summaries"),
        )
        rows = [
            (
                paper.pk,
                paper.title,
                " ".join(a.author.name for a in paper.authorships.all()),
                # Snippets come from these two: no text but the search's may hold its markers.
                _strip_markers(" ".join([paper.abstract, *(k.name for k in paper.keywords.all())])),
                _strip_markers("\n\n".join(s.plain_text for s in paper.public_summaries)),
            )
            for paper in documents
        ]
        placeholders = ", ".join(["%s"] * len(batch))
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({placeholders})", batch)
            cursor.executemany(
                f"INSERT INTO {FTS_TABLE} (rowid, title, authors, body, summaries)"
                " VALUES (%s, %s, %s, %s, %s)",
                rows,
            )


def paper_named_by(text):
    """The paper that a pasted BibTeX key, arXiv id or DOI (in any of their usual forms) names,
    or None when the text is not an identifier of a paper we have."""
    text = text.strip()
    if not text or len(text) > 300 or any(char.isspace() for char in text):
        return None
    if resolve_identifier(text) is None:
        return None  # plain words: not worth the lookups for a key that no one would pick
    return Paper.objects.find(text)


def papers_named_by(texts):
    """{text: paper or None} for many identifiers at once, by the rules of paper_named_by (and
    Paper.objects.find), in a fixed number of queries however many there are."""
    wanted = {}
    keys, arxiv_ids, dois = set(), set(), set()
    for text in texts:
        stripped = text.strip()
        found = None
        if stripped and len(stripped) <= 300 and not any(ch.isspace() for ch in stripped):
            found = resolve_identifier(stripped)
        wanted[text] = found
        if not found:
            continue
        kind, value = found
        if kind == "arxiv":
            arxiv_ids.add(value)
            keys.add(arxiv_key(value))
        elif kind == "doi":
            dois.add(value.lower())
        else:
            keys.add(value)
            if ARXIV_NEW_STYLE.match(value):
                arxiv_ids.add(value)
            elif value.startswith("10.") and "/" in value:
                dois.add(value.lower())
    if not (keys or arxiv_ids or dois):
        return dict.fromkeys(texts)
    papers = list(
        Paper.objects.for_listing().filter(
            Q(bibtex_key__in=keys) | Q(arxiv_id__in=arxiv_ids) | Q(doi__in=dois)
        )
    )
    by_key = {paper.bibtex_key: paper for paper in papers}
    by_arxiv, by_doi = {}, {}
    for paper in sorted(papers, key=lambda p: p.pk):
        by_arxiv.setdefault(paper.arxiv_id, paper)
        by_doi.setdefault(paper.doi, paper)
    missing_keys = [key for key in keys if key not in by_key]
    aliased = {}
    if missing_keys:
        aliases = list(PaperAlias.objects.filter(key__in=missing_keys).values_list("key", "paper"))
        targets = Paper.objects.for_listing().in_bulk({paper_id for _, paper_id in aliases})
        aliased = {key: targets[paper_id] for key, paper_id in aliases if paper_id in targets}

    def lookup(found):
        if not found:
            return None
        kind, value = found
        if kind == "arxiv":
            return (
                by_arxiv.get(value) or by_key.get(arxiv_key(value)) or aliased.get(arxiv_key(value))
            )
        if kind == "doi":
            return by_doi.get(value.lower())
        return (
            by_key.get(value)
            or aliased.get(value)
            or (by_arxiv.get(value) if ARXIV_NEW_STYLE.match(value) else None)
            or (by_doi.get(value.lower()) if value.startswith("10.") else None)
        )

    return {text: lookup(found) for text, found in wanted.items()}
