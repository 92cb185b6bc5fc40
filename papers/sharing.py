"""What a paper page tells link previews and search engines: Open Graph and Twitter card fields
and a schema.org ScholarlyArticle in JSON-LD."""

import html
import json
import re

from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from shortscience.links import absolute_url

FIRST_IMAGE = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"")
# JSON inside <script> must not be able to close the element or open a comment.
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def absolute(url):
    if url.startswith(("https://", "http://")):
        return url
    if url.startswith("/") and not url.startswith("//"):
        return absolute_url(url)
    return ""


def first_image_url(summary_html):
    """The absolute URL of the first image in a rendered summary, or ""."""
    match = FIRST_IMAGE.search(summary_html or "")
    return absolute(html.unescape(match.group(1))) if match else ""


def paper_description(paper, summary_count):
    if paper.abstract:
        return Truncator(" ".join(paper.abstract.split())).chars(200)
    if summary_count:
        return f"{summary_count} summar{'y' if summary_count == 1 else 'ies'} of this paper."
    return f"{paper.title} ({paper.citation_label})."


def social_card(paper, public_summaries):
    """Open Graph / Twitter fields; the image comes from the top public summary, if it has one."""
    top = public_summaries[0] if public_summaries else None
    return {
        "title": paper.title,
        "description": paper_description(paper, len(public_summaries)),
        "url": absolute(paper.get_absolute_url()),
        "image": first_image_url(top.html) if top else "",
    }


def scholarly_article(paper, public_summaries, card):
    """The paper as schema.org JSON-LD, escaped for a <script type="application/ld+json">."""
    data = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": Truncator(paper.title).chars(110),
        "name": paper.title,
        "url": card["url"],
        "author": [{"@type": "Person", "name": name} for name in paper.author_names],
    }
    if paper.published:
        data["datePublished"] = paper.published.isoformat()
    elif paper.year:
        data["datePublished"] = str(paper.year)
    if paper.abstract:
        data["abstract"] = paper.abstract
    if paper.venue_label:
        data["isPartOf"] = {"@type": "Periodical", "name": paper.venue_label}
    keywords = [keyword.name for keyword in paper.keywords.all()]
    if keywords:
        data["keywords"] = keywords
    identifiers = []
    if paper.doi:
        identifiers.append({"@type": "PropertyValue", "propertyID": "DOI", "value": paper.doi})
    if paper.arxiv_id:
        identifiers.append(
            {"@type": "PropertyValue", "propertyID": "arXiv", "value": paper.arxiv_id}
        )
    if identifiers:
        data["identifier"] = identifiers
        data["sameAs"] = [url for url in (paper.doi_url, paper.arxiv_url) if url]
    if card["image"]:
        data["image"] = card["image"]
    if public_summaries:
        data["commentCount"] = len(public_summaries)
    encoded = json.dumps(data, ensure_ascii=False).translate(JSON_SCRIPT_ESCAPES)
    return mark_safe(encoded)  # noqa: S308 - escaped for a script element just above
