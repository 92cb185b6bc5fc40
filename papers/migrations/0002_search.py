"""Search documents for papers. PostgreSQL: the narrow table papers_searchdocument with a GIN
index, its vectors kept out of line (so matching reads only small rows) and lz4-compressed
where the server has it. SQLite: an FTS5 table (the model's table stays empty there). Each
backend's part is a no-op on the other. Existing papers are indexed here; afterwards
papers.search.reindex() keeps both current."""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import DatabaseError, migrations, models, transaction

PUBLIC = "s.state = 'published' AND s.deleted_at IS NULL AND NOT s.is_private"

AUTHORS = """(SELECT string_agg(a.name, ' ' ORDER BY au.position) FROM papers_authorship au
    JOIN papers_author a ON a.id = au.author_id WHERE au.paper_id = papers_paper.id)"""
KEYWORDS = """(SELECT string_agg(k.name, ' ') FROM papers_paper_keywords pk
    JOIN papers_keyword k ON k.id = pk.keyword_id WHERE pk.paper_id = papers_paper.id)"""
SUMMARIES = f"""(SELECT string_agg(s.source, ' ') FROM summaries_summary s
    WHERE s.paper_id = papers_paper.id AND {PUBLIC})"""

POSTGRES_FILL = f"""
INSERT INTO papers_searchdocument (paper_id, prior, venue_id, year, vector)
SELECT id, public_summary_count, venue_id, year,
    setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', coalesce({AUTHORS}, '')), 'B')
    || setweight(to_tsvector('english', coalesce(abstract, '') || ' ' || coalesce({KEYWORDS}, '')), 'C')
    || setweight(to_tsvector('english', coalesce({SUMMARIES}, '')), 'D')
FROM papers_paper
"""

SQLITE_AUTHORS = AUTHORS.replace("string_agg(a.name, ' ' ORDER BY au.position)", "group_concat(a.name, ' ')")
SQLITE_KEYWORDS = KEYWORDS.replace("string_agg", "group_concat")
SQLITE_SUMMARIES = SUMMARIES.replace("string_agg", "group_concat")


def use_lz4(schema_editor):
    """Ranking decompresses each candidate's vector; lz4 does that about twice as fast as the
    default pglz. Only PostgreSQL 14+ built with lz4; elsewhere the default stays."""
    if schema_editor.connection.pg_version < 140000:
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(
                "ALTER TABLE papers_searchdocument ALTER COLUMN vector SET COMPRESSION lz4"
            )
    except DatabaseError:
        pass  # built without lz4


def create_search_documents(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("ALTER TABLE papers_searchdocument SET (toast_tuple_target = 128)")
        execute("ALTER TABLE papers_searchdocument ALTER COLUMN vector SET STORAGE EXTERNAL")
        use_lz4(schema_editor)
        execute(
            "CREATE INDEX IF NOT EXISTS searchdocument_vector_gin"
            " ON papers_searchdocument USING gin (vector)"
        )
        execute(POSTGRES_FILL)
    elif schema_editor.connection.vendor == "sqlite":
        execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS papers_paper_fts USING fts5("
            "title, authors, body, summaries, tokenize='porter unicode61 remove_diacritics 2')"
        )
        execute(
            "INSERT INTO papers_paper_fts (rowid, title, authors, body, summaries)"
            f" SELECT id, title, coalesce({SQLITE_AUTHORS}, ''),"
            f" abstract || ' ' || coalesce({SQLITE_KEYWORDS}, ''),"
            f" coalesce({SQLITE_SUMMARIES}, '') FROM papers_paper"
        )


def drop_search_documents(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS papers_paper_fts")


class Migration(migrations.Migration):

    dependencies = [
        ("papers", "0001_initial"),
        ("summaries", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "paper",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="papers.paper",
                    ),
                ),
                ("vector", django.contrib.postgres.search.SearchVectorField()),
                ("prior", models.PositiveIntegerField(default=0)),
                ("year", models.PositiveSmallIntegerField(blank=True, null=True)),
                (
                    "venue",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="papers.venue",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["-prior", "-paper"], name="searchdocument_static_rank")
                ],
            },
        ),
        migrations.RunPython(create_search_documents, drop_search_documents),
    ]
