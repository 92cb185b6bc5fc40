"""Adding a paper by its identifier: an arXiv id or URL, a DOI or doi.org URL, or a dblp key.

`look_up(text)` asks the one service that knows the identifier (arXiv's API; Crossref, then
DataCite for DOIs that Crossref lacks; dblp) and returns the paper as a BibTeX entry, which
the add page previews and imports like a pasted one. A paper already here (including every
paper the arXiv snapshot import loaded) is never looked up: the caller opens it instead.

Each request has a short timeout, a bounded answer size and a User-Agent that names the site
and a contact address, as Crossref and arXiv ask. Answers (and "not found") are cached; a
failure raises ServiceError naming the service, so the page can say which one failed and
offer the BibTeX paste instead. HTTP goes through the standard library's urllib: four plain
GETs need no client library.
"""

import email.utils
import functools
import hashlib
import html
import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import strip_tags

from . import bibtex

FOUND_SECONDS = 24 * 3600
MISSING_SECONDS = 3600
MAX_ANSWER_BYTES = 2 * 1024 * 1024
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
_CORR_KEY = re.compile(r"^journals/corr/(?P<id>\d{4}\.\d{4,5})$")
# dblp keys: conf/nips/VaswaniSPUJGKP17, journals/pami/RenHG017, DBLP:... (normalized away).
_DBLP_KEY = re.compile(r"^(?:conf|journals|books|series|phd|reference|tr)/[\w-]+/[\w.-]+$")
_KEY_FORBIDDEN = re.compile(r'[\s,{}()"#%\\]')


class ServiceError(Exception):
    """A service failed (or does not know the paper); the message says which and how."""

    def __init__(self, service, message, *, missing=False):
        super().__init__(f"{service} {message}")
        self.service = service
        self.detail = message
        self.missing = missing


@dataclass(frozen=True)
class Identifier:
    kind: str  # "arxiv", "doi" or "dblp"
    value: str

    @property
    def services(self):
        return {"arxiv": "arXiv", "doi": "Crossref and DataCite", "dblp": "dblp"}[self.kind]


@dataclass(frozen=True)
class Found:
    bibtex: str
    service: str


def identify(text):
    """The Identifier a pasted text names, or None: arXiv ids in any spelling (and arXiv
    paper keys, journals/corr/<id>), DOIs and doi.org URLs, dblp keys and URLs."""
    text = (text or "").strip()
    if not text or len(text) > 300:
        return None
    found = bibtex.resolve_identifier(text)
    if not found:
        return None
    kind, value = found
    if kind in ("arxiv", "doi"):
        return Identifier(kind, value)
    corr = _CORR_KEY.match(value)
    if corr:
        return Identifier("arxiv", corr.group("id"))
    if _DBLP_KEY.match(value):
        return Identifier("dblp", value)
    return None


def add_url_for(text):
    """The add page, ready to look up `text` when it is an identifier, else with `text` as the
    key of a new entry to complete."""
    field = "id" if identify(text) else "key"
    return reverse("papers:add") + "?" + urllib.parse.urlencode({field: text.strip()})


def look_up(identifier):
    """The paper `identifier` names, as Found; raises ServiceError."""
    cache_key = (
        "lookup:" + hashlib.sha256(f"{identifier.kind}:{identifier.value}".encode()).hexdigest()
    )
    cached = cache.get(cache_key)
    if cached is not None:
        if cached[0] == "found":
            return Found(bibtex=cached[1], service=cached[2])
        raise ServiceError(cached[1], cached[2], missing=True)
    try:
        found = _FETCHERS[identifier.kind](identifier.value)
    except ServiceError as error:
        if error.missing:
            cache.set(cache_key, ("missing", error.service, error.detail), MISSING_SECONDS)
        raise
    cache.set(cache_key, ("found", found.bibtex, found.service), FOUND_SECONDS)
    return found


# HTTP --------------------------------------------------------------------------------------


def user_agent():
    contact = settings.LOOKUP_CONTACT or email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return f"ShortScience/1.0 (+{settings.SITE_URL}; mailto:{contact})"


def _get(service, url, accept):
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(), "Accept": accept})
    timeout = settings.LOOKUP_TIMEOUT
    late = f"did not answer within {timeout} second{'' if timeout == 1 else 's'}."
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code in (404, 410):
            raise ServiceError(service, "does not know this paper.", missing=True) from None
        if error.code in (429, 503):
            wait = error.headers.get("Retry-After", "")
            later = f" for {wait} seconds" if wait.isdigit() else " for a while"
            raise ServiceError(
                service, f"is refusing requests{later} (HTTP {error.code}, too many requests)."
            ) from None
        raise ServiceError(service, f"answered with an error (HTTP {error.code}).") from None
    except TimeoutError:
        raise ServiceError(service, late) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError | socket.timeout):
            raise ServiceError(service, late) from None
        raise ServiceError(service, "could not be reached.") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise ServiceError(service, "sent an answer too large to read.")
    return body


def _unreadable(service):
    return ServiceError(service, "sent an answer that could not be read.")


def _reads(service):
    """Decorator: an answer of an unexpected shape is the service's failure, not ours."""

    def decorate(fetch):
        @functools.wraps(fetch)
        def wrapper(value):
            try:
                return fetch(value)
            except (AttributeError, TypeError, KeyError, IndexError, ValueError):
                raise _unreadable(service) from None

        return wrapper

    return decorate


def _entry(*, key, entry_type, fields, service):
    fields = {name: " ".join(value.split()) for name, value in fields.items() if value}
    if not fields.get("title"):
        raise _unreadable(service)
    key = _KEY_FORBIDDEN.sub("_", key)[:255]
    try:
        text = bibtex.entry_to_bibtex(key=key, entry_type=entry_type, fields=fields)
    except ValueError:
        raise _unreadable(service) from None
    return Found(bibtex=text, service=service)


# arXiv -------------------------------------------------------------------------------------


@_reads("arXiv")
def _arxiv(arxiv_id):
    query = urllib.parse.urlencode({"id_list": arxiv_id, "max_results": 1})
    body = _get("arXiv", f"{settings.LOOKUP_SERVICES['arxiv']}?{query}", "application/atom+xml")
    try:
        feed = ET.fromstring(body)  # expat >= 2.4 refuses entity expansion bombs
    except ET.ParseError:
        raise _unreadable("arXiv") from None
    if feed.tag != f"{ATOM}feed":
        raise _unreadable("arXiv")
    entry = feed.find(f"{ATOM}entry")
    if entry is None or "/api/errors" in (entry.findtext(f"{ATOM}id") or ""):
        raise ServiceError("arXiv", "does not know this paper.", missing=True)
    published = entry.findtext(f"{ATOM}published") or ""
    categories = [c.get("term", "") for c in entry.findall(f"{ATOM}category")]
    primary = entry.find(f"{ARXIV}primary_category")
    authors = [a.findtext(f"{ATOM}name") or "" for a in entry.findall(f"{ATOM}author")]
    return _entry(
        key=bibtex.arxiv_key(arxiv_id),
        entry_type="article",
        fields={
            "title": entry.findtext(f"{ATOM}title") or "",
            "author": " and ".join(name.strip() for name in authors if name.strip()),
            "year": published[:4] if published[:4].isdigit() else "",
            "month": published[5:7] if published[5:7].isdigit() else "",
            "abstract": entry.findtext(f"{ATOM}summary") or "",
            "eprint": arxiv_id,
            "archiveprefix": "arXiv",
            "primaryclass": primary.get("term", "") if primary is not None else "",
            "keywords": ", ".join(c for c in categories if c),
            "doi": entry.findtext(f"{ARXIV}doi") or "",
            "note": entry.findtext(f"{ARXIV}journal_ref") or "",
            "url": f"https://arxiv.org/abs/{arxiv_id}",
        },
        service="arXiv",
    )


# DOIs: Crossref, then DataCite ---------------------------------------------------------------

_CROSSREF_TYPES = {
    "journal-article": ("article", "journal"),
    "proceedings-article": ("inproceedings", "booktitle"),
    "book-chapter": ("incollection", "booktitle"),
    "posted-content": ("misc", "howpublished"),
}


def _doi(doi):
    try:
        return _crossref(doi)
    except ServiceError as error:
        if not error.missing:
            raise
    try:
        return _datacite(doi)
    except ServiceError as error:
        if error.missing:
            raise ServiceError(
                "Crossref and DataCite", "do not know this DOI.", missing=True
            ) from None
        raise


def _json(service, body):
    try:
        data = json.loads(body)
    except ValueError:
        raise _unreadable(service) from None
    if not isinstance(data, dict):
        raise _unreadable(service)
    return data


def _first(values):
    return values[0] if isinstance(values, list) and values and isinstance(values[0], str) else ""


def _plain(text):
    """Crossref and DataCite put markup in titles and abstracts (<i>, <sub>, JATS tags)."""
    return html.unescape(strip_tags(text)) if isinstance(text, str) else ""


@_reads("Crossref")
def _crossref(doi):
    url = settings.LOOKUP_SERVICES["crossref"] + urllib.parse.quote(doi, safe="/")
    message = _json("Crossref", _get("Crossref", url, "application/json")).get("message")
    if not isinstance(message, dict):
        raise _unreadable("Crossref")
    authors = []
    for person in message.get("author") or []:
        if isinstance(person, dict):
            name = " ".join(str(person.get(part, "")) for part in ("given", "family")).strip()
            authors.append(name or str(person.get("name", "")))
    year = ""
    for date_field in ("published-print", "published-online", "issued", "created"):
        parts = (message.get(date_field) or {}).get("date-parts") or [[None]]
        if parts and parts[0] and isinstance(parts[0][0], int):
            year = str(parts[0][0])
            break
    entry_type, venue_field = _CROSSREF_TYPES.get(message.get("type", ""), ("misc", "howpublished"))
    return _entry(
        key=doi,
        entry_type=entry_type,
        fields={
            "title": _plain(_first(message.get("title"))),
            "author": " and ".join(name for name in authors if name),
            "year": year,
            venue_field: _plain(_first(message.get("container-title"))),
            "publisher": str(message.get("publisher", "")),
            "volume": str(message.get("volume", "")),
            "number": str(message.get("issue", "")),
            "pages": str(message.get("page", "")),
            "abstract": _plain(message.get("abstract")),
            "doi": doi,
        },
        service="Crossref",
    )


@_reads("DataCite")
def _datacite(doi):
    url = settings.LOOKUP_SERVICES["datacite"] + urllib.parse.quote(doi, safe="/")
    data = _json("DataCite", _get("DataCite", url, "application/vnd.api+json"))
    attributes = (
        (data.get("data") or {}).get("attributes") if isinstance(data.get("data"), dict) else None
    )
    if not isinstance(attributes, dict):
        raise _unreadable("DataCite")
    titles = [t.get("title", "") for t in attributes.get("titles") or [] if isinstance(t, dict)]
    authors = []
    for person in attributes.get("creators") or []:
        if isinstance(person, dict):
            given, family = person.get("givenName", ""), person.get("familyName", "")
            authors.append(f"{given} {family}".strip() if family else str(person.get("name", "")))
    abstracts = [
        d.get("description", "")
        for d in attributes.get("descriptions") or []
        if isinstance(d, dict) and d.get("descriptionType") == "Abstract"
    ]
    types = attributes.get("types") if isinstance(attributes.get("types"), dict) else {}
    return _entry(
        key=doi,
        entry_type=types.get("bibtex") or "misc",
        fields={
            "title": _plain(_first(titles)),
            "author": " and ".join(name for name in authors if name),
            "year": str(attributes.get("publicationYear") or ""),
            "publisher": str(attributes.get("publisher") or ""),
            "abstract": _plain(_first(abstracts)),
            "doi": doi,
        },
        service="DataCite",
    )


# dblp --------------------------------------------------------------------------------------


@_reads("dblp")
def _dblp(key):
    url = settings.LOOKUP_SERVICES["dblp"] + urllib.parse.quote(key) + ".bib"
    text = _get("dblp", url, "application/x-bibtex").decode("utf-8", "replace")
    parsed = bibtex.parse_bibtex(text)
    if not parsed.entries or parsed.entries[0].key != key:
        raise _unreadable("dblp")
    return Found(bibtex=text.strip() + "\n", service="dblp")


_FETCHERS = {"arxiv": _arxiv, "doi": _doi, "dblp": _dblp}
