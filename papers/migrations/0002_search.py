"""Search documents for papers: on PostgreSQL a stored, GIN-indexed tsvector; on SQLite an FTS5
table. Each backend's part is a no-op on the other. Both are filled for existing papers here;
afterwards papers.search.reindex() keeps them current."""

import django.contrib.postgres.search
from django.db import DatabaseError, migrations, transaction

PUBLIC = "s.state = 'published' AND s.deleted_at IS NULL AND NOT s.is_private"

AUTHORS = """(SELECT string_agg(a.name, ' ' ORDER BY au.position) FROM papers_authorship au
    JOIN papers_author a ON a.id = au.author_id WHERE au.paper_id = papers_paper.id)"""
KEYWORDS = """(SELECT string_agg(k.name, ' ') FROM papers_paper_keywords pk
    JOIN papers_keyword k ON k.id = pk.keyword_id WHERE pk.paper_id = papers_paper.id)"""
SUMMARIES = f"""(SELECT string_agg(s.source, ' ') FROM summaries_summary s
    WHERE s.paper_id = papers_paper.id AND {PUBLIC})"""

POSTGRES_FILL = f"""
UPDATE papers_paper SET search_vector =
    setweight(to_tsvector('english', coalesce(title, '')), 'A')
    || setweight(to_tsvector('english', coalesce({AUTHORS}, '')), 'B')
    || setweight(to_tsvector('english', coalesce(abstract, '') || ' ' || coalesce({KEYWORDS}, '')), 'C')
    || setweight(to_tsvector('english', coalesce({SUMMARIES}, '')), 'D')
"""

SQLITE_AUTHORS = AUTHORS.replace("string_agg(a.name, ' ' ORDER BY au.position)", "group_concat(a.name, ' ')")
SQLITE_KEYWORDS = KEYWORDS.replace("string_agg", "group_concat")
SQLITE_SUMMARIES = SUMMARIES.replace("string_agg", "group_concat")


def use_lz4(schema_editor):
    """Ranking decompresses every candidate's vector; lz4 does that about twice as fast as the
    default pglz. PostgreSQL 14+ built with lz4 only; elsewhere the default stays."""
    connection = schema_editor.connection
    if connection.pg_version < 140000:
        return
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute(
                "ALTER TABLE papers_paper ALTER COLUMN search_vector SET COMPRESSION lz4"
            )
    except DatabaseError:
        pass  # built without lz4


def create_search_documents(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(
            "CREATE INDEX IF NOT EXISTS paper_search_vector_gin"
            " ON papers_paper USING gin (search_vector)"
        )
        use_lz4(schema_editor)
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
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS paper_search_vector_gin")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS papers_paper_fts")


class Migration(migrations.Migration):

    dependencies = [
        ("papers", "0001_initial"),
        ("summaries", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(create_search_documents, drop_search_documents),
    ]
