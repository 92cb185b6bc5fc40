"""Stand-in for papers.bibtex's identifier parsers until that module lands on main; delete this
file and import from papers.bibtex then. Same names, same results for the forms search needs."""

import re

ARXIV = re.compile(
    r"^(?:https?://(?:www\.)?(?:export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)?"
    r"(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?/?$",
    re.IGNORECASE,
)
DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
KEY = re.compile(r"^(?:dblp:)?[\w.-]+(?:/[\w.:()-]+)+$|^dblp:\S+$", re.IGNORECASE)


def parse_arxiv_id(value):
    match = ARXIV.match(value.strip())
    return match.group(1) if match else ""


def parse_doi(value):
    match = DOI.match(value.strip())
    return match.group(1).lower() if match else ""


def normalize_key(key):
    key = key.strip()
    return key[5:] if key.lower().startswith("dblp:") else key


def resolve_identifier(text):
    text = text.strip()
    if arxiv_id := parse_arxiv_id(text):
        return ("arxiv", arxiv_id)
    if doi := parse_doi(text):
        return ("doi", doi)
    if KEY.match(text):
        return ("key", normalize_key(text))
    return None
