"""Parsing a large file in parts, in worker processes, so the bulk import commands can write
one part to the database while the next is being parsed.

A pure module (no Django): workers import it under the "spawn" start method, which does not
share the parent's database connection. Splitting is only offered when it cannot change the
result: BibTeX with @string macros or crossrefs is parsed whole, and the caller parses the
whole file again if any part has an error or two parts share a key.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator

from .arxiv_metadata import parse_arxiv_snapshot
from .bibtex import EntryError, ParsedEntry, ParseResult, parse_bibtex

# Entries per part: small enough that the database gets work early, large enough that
# shipping a part between processes costs little.
PART_ENTRIES = 5000
_NEEDS_THE_WHOLE_FILE = re.compile(r"@\s*string\b|\bcrossref\b|\bxdata\b", re.IGNORECASE)
# An entry starting at the beginning of a line, right after a line holding only "}".
_ENTRY_BOUNDARY = re.compile(r"(?<=\n)\}[ \t]*\n(?:[ \t]*\n)*(?=@)")


def quiet_worker():
    gc.disable()
    import logging

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)


def split_bibtex(text: str) -> list[tuple[int, str]] | None:
    """(lines before the part, part) for each part of ``text``, or None to parse it whole."""
    if _NEEDS_THE_WHOLE_FILE.search(text):
        return None
    ends = [match.end() for match in _ENTRY_BOUNDARY.finditer(text)]
    if len(ends) < 2 * PART_ENTRIES:
        return None
    parts = []
    start = 0
    for end in [*ends[PART_ENTRIES - 1 :: PART_ENTRIES], len(text)]:
        if end > start:
            parts.append((start, text[start:end]))
        start = end
    line = 0
    offsets = []
    previous = 0
    for start, _ in parts:
        line += text.count("\n", previous, start)
        offsets.append(line)
        previous = start
    return [(offset, part) for offset, (_, part) in zip(offsets, parts, strict=True)]


def split_lines(lines: list[str]) -> list[tuple[int, list[str]]] | None:
    if len(lines) < 2 * PART_ENTRIES:
        return None
    return [
        (start, lines[start : start + PART_ENTRIES]) for start in range(0, len(lines), PART_ENTRIES)
    ]


_ENTRY_FIELDS = ParsedEntry.__match_args__
_ERROR_FIELDS = EntryError.__match_args__


def _pack(result: ParseResult, offset: int) -> tuple[list[tuple], list[tuple]]:
    """The result as plain tuples (pickled several times faster than dataclasses), with line
    numbers as in the whole file. Decoded fields, which the import no longer needs once an
    entry is parsed, are left behind."""
    entries = []
    for entry in result.entries:
        entry.line += offset
        entry.fields = {}
        entries.append(tuple(getattr(entry, name) for name in _ENTRY_FIELDS))
    errors = []
    for error in result.errors:
        error.line += offset
        errors.append(tuple(getattr(error, name) for name in _ERROR_FIELDS))
    return entries, errors


def unpack(packed: tuple[list[tuple], list[tuple]]) -> ParseResult:
    entries, errors = packed
    return ParseResult(
        entries=[ParsedEntry(*values) for values in entries],
        errors=[EntryError(*values) for values in errors],
    )


def parse_bibtex_part(part: tuple[int, str]) -> tuple[list[tuple], list[tuple]]:
    offset, text = part
    return _pack(parse_bibtex(text), offset)


def parse_arxiv_part(part: tuple[int, list[str]]) -> tuple[list[tuple], list[tuple]]:
    offset, lines = part
    return _pack(parse_arxiv_snapshot(lines), offset)


def parse_in_parts(pool, function, parts) -> Iterator[ParseResult]:
    """Each part's result, in order, while the following parts are being parsed."""
    for packed in pool.imap(function, parts):
        yield unpack(packed)
