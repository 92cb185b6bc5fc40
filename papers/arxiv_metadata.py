"""Reading the arXiv metadata snapshot: one JSON object per line, as arXiv publishes it.

Each record becomes a ``ParsedEntry`` keyed ``journals/corr/<id>``, so arXiv records go
through the same import pipeline as BibTeX entries. A pure module, like papers.bibtex.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import re

from .bibtex import (
    ARXIV_VENUE_KEY,
    EntryError,
    ParsedEntry,
    ParseResult,
    arxiv_key,
    latex_to_unicode,
    parse_arxiv_id,
    parse_authors,
    parse_doi,
)

VENUE_NAME = "CoRR"
_AUTHOR_SEPARATOR = re.compile(r",\s*|\s+and\s+")


def _text(value) -> str:
    if not isinstance(value, str) or not value:
        return ""
    # PostgreSQL text cannot hold NUL, which a JSON string can.
    return latex_to_unicode(value.replace("\x00", ""))


def _authors(record: dict) -> list[str]:
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for parts in parsed:
            if not isinstance(parts, list) or not parts:
                continue
            last, first, suffix = ([*map(str, parts), "", ""])[:3]
            name = " ".join(_text(part) for part in (first, last, suffix) if part.strip())
            if name:
                names.append(name)
        return names
    authors = record.get("authors")
    if isinstance(authors, str) and authors.strip():
        return parse_authors(" and ".join(_AUTHOR_SEPARATOR.split(authors.strip())))
    return []


def _first_published(record: dict) -> datetime.date | None:
    versions = record.get("versions")
    if not isinstance(versions, list) or not versions:
        return None
    first = versions[0]
    created = first.get("created") if isinstance(first, dict) else None
    if not isinstance(created, str):
        return None
    try:
        return email.utils.parsedate_to_datetime(created).date()
    except (TypeError, ValueError):
        return None


def _record_to_entry(record: dict, line: int) -> ParsedEntry | EntryError:
    raw_id = record.get("id")
    arxiv_id = parse_arxiv_id(raw_id) if isinstance(raw_id, str) else ""
    if not arxiv_id:
        return EntryError(None, line, f"Record at line {line}: no arXiv id ({raw_id!r})")
    key = arxiv_key(arxiv_id)
    title = _text(record.get("title"))
    if not title:
        return EntryError(key, line, f"Record '{arxiv_id}' at line {line} has no title")
    published = _first_published(record)
    categories = record.get("categories")
    keywords = categories.split() if isinstance(categories, str) else []
    doi = parse_doi(record["doi"].split()[0]) if isinstance(record.get("doi"), str) else ""
    journal_ref = _text(record.get("journal-ref"))
    fields = {"title": title, "eprint": arxiv_id, "archiveprefix": "arXiv"}
    if journal_ref:
        fields["note"] = journal_ref
    return ParsedEntry(
        key=key,
        entry_type="article",
        title=title,
        authors=_authors(record),
        year=published.year if published else None,
        venue_key=ARXIV_VENUE_KEY,
        venue_name=VENUE_NAME,
        doi=doi,
        arxiv_id=arxiv_id,
        urls=[],
        keywords=keywords,
        abstract=_text(record.get("abstract")),
        published=published,
        fields=fields,
        raw="",
        line=line,
    )


def parse_arxiv_snapshot(lines) -> ParseResult:
    """Entries and per-line errors for the JSON lines of an arXiv metadata snapshot."""
    result = ParseResult()
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError as error:
            result.errors.append(EntryError(None, number, f"Line {number}: not JSON ({error})"))
            continue
        if not isinstance(record, dict):
            result.errors.append(EntryError(None, number, f"Line {number}: not a JSON object"))
            continue
        parsed = _record_to_entry(record, number)
        if isinstance(parsed, EntryError):
            result.errors.append(parsed)
        elif parsed.key in seen:
            message = f"Record '{parsed.arxiv_id}' at line {number} repeats line {seen[parsed.key]}"
            result.errors.append(EntryError(parsed.key, number, message))
        else:
            seen[parsed.key] = number
            result.entries.append(parsed)
    return result
