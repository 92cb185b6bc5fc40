"""The CommonMark and GFM spec examples, and the comparison the conformance test uses.

The examples come from tests/corpora/commonmark/spec.txt (CommonMark 0.31.2) and from
cmark-gfm's test/spec.txt (the examples marked as extensions) and test/extensions.txt.
Both sides are normalized before they are compared: whitespace between blocks and runs of
whitespace in text, attribute order, character references; and the site's deliberate
differences are allowed: headings two levels down (capped at h6), ids on headings, rel,
class, loading and decoding attributes, syntax-highlighting wrappers in code blocks, and
raw HTML that the site's sanitizer shows as text (the expected HTML goes through the
same sanitizer).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

CORPORA = Path(__file__).resolve().parent.parent / "corpora"
COMMONMARK_SPEC = CORPORA / "commonmark" / "spec.txt"
GFM_SPEC = CORPORA / "gfm" / "spec.txt"
GFM_EXTENSIONS = CORPORA / "gfm" / "extensions.txt"

_FENCE = "`" * 32 + " example"


@dataclass(frozen=True)
class Example:
    number: int
    section: str
    markdown: str
    html: str
    extension: str


def read_examples(path: Path) -> list[Example]:
    examples, section, number = [], "", 0
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        if line.startswith(_FENCE):
            extension = line[len(_FENCE) :].strip()
            markdown, i = _collect(lines, i + 1, ".")
            expected, i = _collect(lines, i + 1, "`" * 32)
            number += 1
            examples.append(
                Example(
                    number,
                    section,
                    markdown.replace("→", "\t"),
                    expected.replace("→", "\t"),
                    extension,
                )
            )
        i += 1
    return examples


def _collect(lines: list[str], start: int, end_marker: str) -> tuple[str, int]:
    collected = []
    i = start
    while i < len(lines) and lines[i] != end_marker:
        collected.append(lines[i])
        i += 1
    return "".join(line + "\n" for line in collected), i


def commonmark_examples() -> list[Example]:
    return read_examples(COMMONMARK_SPEC)


def gfm_examples() -> list[Example]:
    """The 49 GFM extension examples (the tag filter one is the sanitizer's business)."""
    from_spec = [
        e
        for e in read_examples(GFM_SPEC)
        if e.extension and e.extension not in ("disabled", "tagfilter")
    ]
    return from_spec + read_examples(GFM_EXTENSIONS)


# --- Normalizing ------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    "address article aside blockquote details div dl dd dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table "
    "tbody td tfoot th thead tr ul br".split()
)
_DROPPED_ATTRIBUTES = frozenset(("id", "rel", "class", "loading", "decoding", "title"))
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


class _Normalizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pre_depth = 0
        self.skip_depth = 0  # inside a highlighting wrapper's empty <span></span>
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "div" and ("class", "highlight") in attrs:
            self.stack.append("#wrapper")
            return
        if tag == "span" and self.pre_depth:
            self.stack.append("#wrapper")
            return
        if tag == "pre":
            self.pre_depth += 1
        kept = sorted(
            (name, "" if value is None else value)
            for name, value in attrs
            if name not in _DROPPED_ATTRIBUTES
        )
        attributes = "".join(f' {n}="{html.escape(v, quote=True)}"' for n, v in kept)
        self.out.append(f"<{tag}{attributes}>")
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        if self.stack and self.stack[-1] == "#wrapper" and tag in ("div", "span"):
            self.stack.pop()
            return
        if tag in self.stack:
            while self.stack:
                top = self.stack.pop()
                if top == "#wrapper":
                    continue
                if top == "pre":
                    self.pre_depth -= 1
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data):
        if not self.pre_depth:
            data = re.sub(r"\s+", " ", data)
        self.out.append(html.escape(data, quote=False))


def normalize(markup: str) -> str:
    parser = _Normalizer()
    parser.feed(markup)
    parser.close()
    while parser.stack:
        parser.handle_endtag(parser.stack[-1] if parser.stack[-1] != "#wrapper" else "div")
    text = "".join(parser.out)
    # Whitespace next to block boundaries means nothing.
    block = "|".join(sorted(_BLOCK_TAGS))
    text = re.sub(rf"\s*(</?(?:{block})(?:\s[^>]*)?>)\s*", r"\1", text)
    return text.strip()


def expected_on_this_site(expected: str) -> str:
    """The spec's HTML as the site's sanitizer would let it through."""
    from summaries import rendering

    shifted = re.sub(
        r"<(/?)h([1-6])\b", lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + 2)}", expected
    )
    # An image the site cannot show (a relative URL) shows its alt text instead.
    shown = re.sub(r'<img src="[^"/][^":]*" alt="([^"]*)"(?: title="[^"]*")? />', r"\1", shifted)
    # A task list's checkbox is the site's own markup, which the sanitizer never sees.
    boxes = re.sub(r'<input type="checkbox" (?:checked="" )?disabled="" />', _box_marker, shown)
    clean = rendering._get_cleaner(True, True, False).clean(boxes)
    return rendering._TASK_BOX_RE.sub(lambda m: rendering._TASK_BOXES[m.group()], clean)


def _box_marker(m: re.Match[str]) -> str:
    return "\ue005" if "checked" in m.group() else "\ue004"


def passes(example: Example) -> bool:
    from summaries.rendering import render_markdown

    actual = render_markdown(example.markdown).html
    return normalize(actual) == normalize(expected_on_this_site(example.html))


def failures(examples: list[Example]) -> list[Example]:
    return [e for e in examples if not passes(e)]
