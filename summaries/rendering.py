"""Markdown to safe HTML (interim: the full pipeline with server-side math replaces this)."""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import bleach
import markdown

PIPELINE_VERSION = 1

CITE = re.compile(r"\\cite\{([^}]*)\}")
TAGS = {
    "p", "br", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "hr",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "img", "sup", "div",
}
ATTRIBUTES = {"a": ["href", "title", "class"], "img": ["src", "alt", "title"], "h3": ["id"]}


@dataclass(frozen=True)
class CitationTarget:
    url: str
    label: str
    title: str


@dataclass(frozen=True)
class Rendered:
    html: str
    cited_keys: tuple[str, ...]


def normalize_cite_key(key: str) -> str:
    key = key.strip()
    return key[5:] if key.lower().startswith("dblp:") else key


def extract_citation_keys(source: str) -> list[str]:
    keys = (normalize_cite_key(k) for group in CITE.findall(source) for k in group.split(","))
    return list(dict.fromkeys(k for k in keys if k))


def render_markdown(
    source: str,
    *,
    resolve_citations: Callable[[Sequence[str]], Mapping[str, CitationTarget]] | None = None,
    missing_citation_url: Callable[[str], str] | None = None,
    allow_headings: bool = True,
    allow_images: bool = True,
) -> Rendered:
    keys = extract_citation_keys(source)
    html = markdown.markdown(source, extensions=["tables", "fenced_code"])
    html = bleach.clean(html, tags=TAGS, attributes=ATTRIBUTES, strip=True)
    return Rendered(html=html, cited_keys=tuple(keys))


def _missing_url(key: str) -> str:
    return "/papers/add/?key=" + quote(key, safe="")
