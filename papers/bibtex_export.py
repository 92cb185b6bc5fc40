"""Papers out as BibTeX: the entry as it was imported when it still describes the paper, an
entry generated from the paper's fields otherwise. Either way ``parse_bibtex`` reads it back.
"""

from __future__ import annotations

import re

from django.db.models import QuerySet

from .bibtex import MAX_ENTRY_CHARS, entry_to_bibtex, parse_bibtex
from .models import Paper

_UNWRITABLE_IN_KEY = re.compile(r'[\s,{}()"#%\\]+')
_BOOK_PARTS = frozenset({"inproceedings", "incollection", "conference", "inbook"})


def _original_entry(paper: Paper) -> str:
    """The imported entry, if alone it still reads as this paper (key, title, year, venue,
    DOI and authors).

    An entry that relied on @string macros or a crossref elsewhere in its file, or a paper
    edited since it was imported, gets a generated entry instead.
    """
    raw = paper.bibtex.strip()
    if not raw or len(raw) > MAX_ENTRY_CHARS:  # imports refuse longer ones; older rows
        return ""
    parsed = parse_bibtex(raw)
    if parsed.errors or len(parsed.entries) != 1:
        return ""
    entry = parsed.entries[0]
    read = (entry.key, entry.title, entry.year, entry.venue_name[:500], entry.doi, entry.authors)
    stored = (
        paper.bibtex_key,
        paper.title,
        paper.year,
        paper.venue_name,
        paper.doi,
        paper.author_names,
    )
    return raw + "\n" if read == stored else ""


def _venue_field(entry_type: str) -> str:
    if entry_type in _BOOK_PARTS:
        return "booktitle"
    if entry_type == "misc":
        return "howpublished"
    if entry_type == "book":
        return "publisher"
    return "journal"


def generated_entry(paper: Paper) -> str:
    """An entry written from the paper's fields."""
    entry_type = paper.entry_type.lower() or "misc"
    fields = {}
    authors = paper.author_names
    if authors:
        fields["author"] = " and ".join(authors)
    fields["title"] = paper.title
    venue = paper.venue_name or (paper.venue.name if paper.venue else "")
    if venue:
        fields[_venue_field(entry_type)] = venue
    if paper.year:
        fields["year"] = str(paper.year)
    if paper.doi:
        fields["doi"] = paper.doi
    if paper.arxiv_id:
        fields["eprint"] = paper.arxiv_id
        fields["archiveprefix"] = "arXiv"
    if paper.web_urls:
        fields["url"] = paper.web_urls[0]
    key = paper.bibtex_key
    try:
        return entry_to_bibtex(key=key, entry_type=entry_type, fields=fields)
    except ValueError:
        # A hand-made key or type BibTeX cannot hold: keep the entry readable.
        key = _UNWRITABLE_IN_KEY.sub("_", key).strip("_") or f"paper{paper.pk}"
        try:
            return entry_to_bibtex(key=key, entry_type=entry_type, fields=fields)
        except ValueError:
            return entry_to_bibtex(key=key, entry_type="misc", fields=fields)


def paper_bibtex(paper: Paper) -> str:
    """The paper as one BibTeX entry, ending with a newline."""
    return _original_entry(paper) or generated_entry(paper)


def bibtex_for_papers(papers) -> str:
    """All these papers as BibTeX, one entry after another, in the order given.

    Takes a Paper QuerySet (its authors and venues are fetched in three queries) or a list
    of papers fetched with ``Paper.objects.for_listing()``.
    """
    if isinstance(papers, QuerySet):
        papers = papers.for_listing()
    return "\n".join(paper_bibtex(paper) for paper in papers)
