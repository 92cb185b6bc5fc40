r"""The rendering pipeline: a summary's Markdown + LaTeX + \cite source to safe HTML.

    source ─ tokenize ─> Markdown text with placeholders ─ python-markdown ─> HTML
           ─ bleach (allow-list, linkify, rel) ─> substitute placeholders ─> Rendered

Math, inline code and \cite{} never reach Markdown or bleach as themselves: a tokenizer
of our own replaces them with opaque placeholders first, because Markdown would mangle
`$a_1 * b_2$` and arithmatex misses `\[..\]` inside paragraphs and blank lines inside
display blocks. After sanitizing, each placeholder becomes what it stands for, chosen by
where it ended up: rendered KaTeX or citation links in text, the escaped source inside
<code>/<pre> (code the tokenizer did not see), the source encoded for the attribute
inside a tag. KaTeX output is trusted without a second pass through bleach (which would
break it) because KaTeX escapes its own input and runs with trust off; placeholders
carry a random per-render nonce, so typing one cannot inject anything.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import secrets
import threading
import xml.etree.ElementTree as etree
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from urllib.parse import quote

import bleach
import markdown
from bleach.html5lib_shim import Filter
from bleach.linkifier import LinkifyFilter
from markdown.extensions import Extension
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension, slugify_unicode
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from pygments.token import STANDARD_TYPES
from pymdownx.betterem import BetterEmExtension
from pymdownx.magiclink import RE_MAIL, MagiclinkMailPattern
from pymdownx.saneheaders import SaneHeadersExtension
from pymdownx.superfences import SuperFencesCodeExtension
from pymdownx.tasklist import TasklistExtension
from pymdownx.tilde import DeleteSubExtension

from summaries import katex, render_worker
from summaries.markdown_blocks import EMPTY_ITEM, LIST_SEPARATOR, CommonMarkBlocksPreprocessor

logger = logging.getLogger(__name__)

# 1 was the interim pipeline of the first commit; 3 reads GitHub-style Markdown.
PIPELINE_VERSION = 3


@dataclass(frozen=True)
class CitationTarget:
    url: str  # e.g. "/paper/conf/nips/RenHGS15/"
    label: str  # e.g. "Ren et al., 2015"
    title: str  # paper title, used as the link's title tooltip


@dataclass(frozen=True)
class Rendered:
    html: str
    cited_keys: tuple[str, ...]  # normalized, de-duplicated, in order of first appearance
    # Why this rendering is not the whole summary as written ("" when it is), for its writer.
    degraded: str = ""
    # Why it must not be saved ("" when it may): it would be too large to serve.
    refusal: str = ""


ResolveCitations = Callable[[Sequence[str]], Mapping[str, CitationTarget]]


def normalize_cite_key(key: str) -> str:
    """Strip whitespace and a leading "DBLP:" (as in keys copied from dblp's BibTeX)."""
    key = key.strip()
    if key[:5].lower() == "dblp:":
        key = key[5:].strip()
    return key


def default_missing_citation_url(key: str) -> str:
    return "/papers/add/?key=" + quote(key, safe="/")


def extract_citation_keys(source: str) -> list[str]:
    r"""The keys \cite'd outside code and math, normalized, in order of first appearance."""
    try:
        prepared = _prepare(_normalize_source(source), allow_headings=True, allow_images=True)
        return list(prepared.cited_keys())
    except Exception:  # a key list is never worth a failed save
        logger.exception("extracting citation keys failed")
        return []


def render_markdown(
    source: str,
    *,
    resolve_citations: ResolveCitations | None = None,
    missing_citation_url: Callable[[str], str] | None = None,
    allow_headings: bool = True,
    allow_images: bool = True,
) -> Rendered:
    """Render summary (or comment) source to sanitized HTML; never raises for any string.

    resolve_citations is called at most once, with every cited key; its exceptions are
    the caller's and propagate.
    """
    text = _normalize_source(source)
    failed = "It could not be rendered, so it shows as plain paragraphs."
    try:
        prepared = _prepare(text, allow_headings=allow_headings, allow_images=allow_images)
    except Exception:
        logger.exception("rendering failed; showing the source as text")
        return _checked(Rendered(html=_plain_paragraphs(text), cited_keys=(), degraded=failed))
    keys = prepared.cited_keys()
    targets: Mapping[str, CitationTarget] = {}
    if keys and resolve_citations is not None:
        targets = resolve_citations(list(keys))
    try:
        body = prepared.finish(targets, missing_citation_url or default_missing_citation_url)
    except Exception:
        logger.exception("rendering failed; showing the source as text")
        return _checked(Rendered(html=_plain_paragraphs(text), cited_keys=keys, degraded=failed))
    return _checked(Rendered(html=body, cited_keys=keys, degraded=prepared.problem))


def _checked(rendered: Rendered) -> Rendered:
    size = len(rendered.html)
    if size <= MAX_RENDERED_CHARS:
        return rendered
    refusal = (
        f"Rendered, this text would take {size // 1000:,} KB (formulas take the most room); "
        f"a summary may take at most {MAX_RENDERED_CHARS // 1000:,} KB. "
        "Fewer or shorter formulas will fit."
    )
    return Rendered(rendered.html, rendered.cited_keys, rendered.degraded, refusal)


# --- Source normalization --------------------------------------------------------------

# C0 controls other than tab and newline: invisible, and STX/ETX are python-markdown's own
# placeholder markers.
_CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BLANKISH_LINE_RE = re.compile(r"(?<=\n)[ ]+(?=\n)")
_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")  # not encodable, so not storable either


def _normalize_source(source: str) -> str:
    if not isinstance(source, str):
        source = str(source)
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARS_RE.sub("", text).expandtabs(4)
    text = _LONE_SURROGATE_RE.sub("\ufffd", text)
    # What python-markdown does first, so that our idea of lines and blank lines is its.
    return _BLANKISH_LINE_RE.sub("", "\n" + text)[1:]


def _plain_paragraphs(text: str) -> str:
    paragraphs = [p for p in re.split(r"\n{2,}", text) if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>\n" for p in paragraphs)


# --- Tokenizer: math, inline code and citations out of Markdown's way -------------------


@dataclass(frozen=True)
class _Slot:
    kind: str  # "math", "cite", "code" or "literal"
    source: str  # exactly what the user typed
    text: str  # what it means as plain text (attributes, heading slugs)
    tex: str = ""
    display: bool = False
    keys: tuple[str, ...] = ()


# Environments that are math on their own, as MathJax treated them on the original site.
_MATH_ENVIRONMENTS = frozenset(
    name + star
    for name in (
        "equation align alignat gather multline eqnarray flalign displaymath aligned "
        "alignedat gathered split matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix "
        "smallmatrix cases dcases rcases array darray subarray CD"
    ).split()
    for star in ("", "*")
)
# Environments KaTeX lacks, mapped to the nearest one it has.
_KATEX_ENVIRONMENT_SUBSTITUTES = {
    "multline": ("\\begin{gather}", "\\end{gather}"),
    "multline*": ("\\begin{gather*}", "\\end{gather*}"),
    "flalign": ("\\begin{align}", "\\end{align}"),
    "flalign*": ("\\begin{align*}", "\\end{align*}"),
    "eqnarray": ("\\begin{array}{rcl}", "\\end{array}"),
    "eqnarray*": ("\\begin{array}{rcl}", "\\end{array}"),
    "displaymath": ("", ""),
    "displaymath*": ("", ""),
}

# Where inline constructs must stop: a blank line or a line that starts a new block.
_INLINE_BREAK_RE = re.compile(
    r"\n(?=\n|$| {0,3}(?:[*+-]|\d{1,9}\.)[ ]| {0,3}>| {0,3}#{1,6}(?:[ ]|\n|$)| {0,3}\|)"
)
_SPECIAL_RE = re.compile(r"[\n\\$`]")
_LIST_ITEM_RE = re.compile(r" {0,3}(?:[*+-]|\d{1,9}[.)])[ ]+\S")
_FENCE_OPENER_RE = re.compile(r"(?P<fence>~{3,}|`{3,})[^\n`]*(?=\n|$)")
# What may stand before a fence on its line: indentation, quote markers, a list marker.
_FENCE_PREFIX_RE = re.compile(r"(?:[ ]*>)*[ ]*(?:(?:[*+-]|\d{1,9}[.)])[ ]+)?")
_FENCE_CLOSER_RE = re.compile(r"^(~{3,}|`{3,})[ ]*$", re.MULTILINE)
_INDENTED_LINES_RE = re.compile(r"(?:[ ]{4}[^\n]*(?:\n|$)|\n)*")
_NON_SPACE_RE = re.compile(r"\S")
_QUOTE_PREFIX_RE = re.compile(r"(?:[ ]{0,3}>)+[ ]?")
_BEGIN_RE = re.compile(r"\\begin\{([A-Za-z]+\*?)\}")
# \cite and natbib's \citep, \citet (and friends), with optional [pre][post] notes.
_CITE_RE = re.compile(
    r"\\cite(?:p|t|alp|alt|author|year|num)?\*?(?:\[[^\[\]{}\n]{0,200}\]){0,2}\{([^{}]{1,2000})\}"
)
_REF_RE = re.compile(r"\\(eqref|ref)\{([\w:.\-]{1,100})\}")
_LABEL_RE = re.compile(r"\\label\{([\w:.\-]{1,100})\}")
# Text inside a formula, where a "$" starts nested math instead of ending the formula.
_TEXT_GROUP_RE = re.compile(r"\\(?:text(?:rm|bf|it|sf|tt|normal|up)?|mbox|hbox)\s*\{")
_TEXISH_RE = re.compile(r"[\\^_=]|^\s*[A-Za-z]\s*$")
_NUMBERED_ENVIRONMENT_RE = re.compile(r"\\(begin|end)\{(equation|align|gather|multline|flalign)\}")
_CITE_KEY_RE = re.compile(r"[A-Za-z0-9/:._\-()]+")
# python-markdown rescans from every "[" to its "]" (and from "](" to the ")"), and the
# HTML parser it uses rescans from every "<tag" to the next ">": quadratic on hostile
# input. We estimate those scans and turn the openers that would cost too much into
# literal text; a real summary stays far below these limits.
_MAX_SCAN_PER_OPENER = 3_000
_MAX_SCAN_PER_DOCUMENT = 500_000
_TAG_OPENER_RE = re.compile(r"<(?=[A-Za-z/!?])")
_DEFUSED = {"[": "\ue000", "<": "\ue001"}  # private-use characters Markdown leaves alone
_DEFUSED_RE = re.compile("[\ue000\ue001]")
_OURS_RE = re.compile("[\ue000-\ue005]")  # defused, markdown_blocks' markers, task boxes
# A task list's checkbox crosses the sanitizer as a character, so none can be typed as HTML.
_TASK_BOXES = {
    "\ue004": '<input type="checkbox" disabled>',
    "\ue005": '<input type="checkbox" disabled checked>',
}
_TASK_BOX_RE = re.compile("[\ue004\ue005]")
_UNDEFUSED = {"\ue000": "[", "\ue001": "&lt;"}
_BRACKETS_RE = re.compile(r"[\[\]()]")

_PLACEHOLDER_RE = re.compile(r"ph([0-9a-f]{16})n(\d+)q")


def _literal_slot(chars: str) -> _Slot:
    return _Slot("literal", chars, chars)


def _in_spans(spans: list[tuple[int, int]], pos: int) -> bool:
    i = bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _is_escaped(text: str, pos: int) -> bool:
    backslashes = 0
    while pos > backslashes and text[pos - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


class _Tokenizer:
    def __init__(self, src: str, nonce: str) -> None:
        self.src = src
        self.n = len(src)
        self.nonce = nonce
        self.slots: list[_Slot] = []
        self.out: list[str] = []
        self.list_context = False
        self.out_length = 0
        self.code_spans: list[tuple[int, int]] = []  # verbatim code, in output offsets
        self.fenced_spans: list[tuple[int, int]] = []
        self.breaks = [m.start() for m in _INLINE_BREAK_RE.finditer(src)]
        self.dollar_closers = [
            m.start()
            for m in re.finditer(r"(?<=[^\s])\$(?![0-9])", src)
            if not _is_escaped(src, m.start())
        ]
        self.dollars = [
            m.start() for m in re.finditer(r"\$", src) if not _is_escaped(src, m.start())
        ]
        self.double_dollars = [
            m.start() for m in re.finditer(r"(?=\$\$)", src) if not _is_escaped(src, m.start())
        ]
        self.paren_closers = self._unescaped("\\)")
        self.bracket_closers = self._unescaped("\\]")
        self.tick_runs: dict[int, list[int]] = {}
        for m in re.finditer(r"`+", src):
            self.tick_runs.setdefault(len(m.group()), []).append(m.start())
        self.fence_closers: dict[str, list[int]] = {}
        for m in _FENCE_CLOSER_RE.finditer(src):
            self.fence_closers.setdefault(m.group(1), []).append(m.start())
        self.found_ends: dict[str, tuple[int, int]] = {}

    def _unescaped(self, token: str) -> list[int]:
        positions, start = [], 0
        while (k := self.src.find(token, start)) != -1:
            if not _is_escaped(self.src, k):
                positions.append(k)
            start = k + 1
        return positions

    # helpers

    @staticmethod
    def _first_at_or_after(positions: list[int], pos: int) -> int | None:
        i = bisect_left(positions, pos)
        return positions[i] if i < len(positions) else None

    def _next_break(self, pos: int) -> int:
        found = self._first_at_or_after(self.breaks, pos)
        return self.n if found is None else found

    def _find_end(self, token: str, start: int) -> int:
        """str.find, remembering answers so repeated unclosed openers stay linear."""
        searched_from, found = self.found_ends.get(token, (self.n + 1, -1))
        if searched_from <= start and (found == -1 or found >= start):
            return found
        found = self.src.find(token, start)
        self.found_ends[token] = (start, found)
        return found

    def _starts_line(self, pos: int) -> bool:
        while pos > 0 and self.src[pos - 1] == " ":
            pos -= 1
        return pos == 0 or self.src[pos - 1] == "\n"

    def _ends_line(self, pos: int) -> bool:
        while pos < self.n and self.src[pos] == " ":
            pos += 1
        return pos == self.n or self.src[pos] == "\n"

    def _blank(self, start: int, end: int) -> bool:
        return _NON_SPACE_RE.search(self.src, start, end) is None

    def _placeholder(self, slot: _Slot) -> str:
        self.slots.append(slot)
        return f"ph{self.nonce}n{len(self.slots) - 1}q"

    def _emit(self, chunk: str) -> None:
        if _OURS_RE.search(chunk):  # typed by the user: keep them apart from ours
            chunk = _OURS_RE.sub(lambda m: self._placeholder(_literal_slot(m.group())), chunk)
        self.out.append(chunk)
        self.out_length += len(chunk)

    def _emit_slot(self, slot: _Slot) -> None:
        self._emit(self._placeholder(slot))

    def _literal(self, chars: str) -> None:
        self._emit_slot(_literal_slot(chars))

    def _text(self, chunk: str) -> None:
        self._emit(chunk)

    def _verbatim(self, chunk: str, *, fenced: bool) -> None:
        start = self.out_length
        self._emit(chunk)
        self.code_spans.append((start, self.out_length))
        if fenced:
            self.fenced_spans.append((start, self.out_length))

    def _math(self, source: str, tex: str, display: bool) -> None:
        keys: tuple[str, ...] = ()
        if "\\cite" in tex:  # a citation inside a formula is a citation too
            keys = tuple(
                dict.fromkeys(key for m in _CITE_RE.finditer(tex) for key in _cite_keys(m.group(1)))
            )
        self._emit_slot(_Slot("math", source, source, tex=tex, display=display, keys=keys))

    # the scan

    def run(self) -> str:
        src, n = self.src, self.n
        i = self._line_start(0)
        while i < n:
            m = _SPECIAL_RE.search(src, i)
            if m is None:
                self._text(src[i:])
                break
            j = m.start()
            if j > i:
                self._text(src[i:j])
            char = src[j]
            if char == "\n":
                self._emit("\n")
                i = self._line_start(j + 1)
            elif char == "\\":
                i = self._backslash(j)
            elif char == "$":
                i = self._dollar(j)
            else:
                i = self._backticks(j)
        return self._defuse_markup("".join(self.out))

    def _defuse_markup(self, text: str) -> str:
        """Turn "<" and "[" that would make python-markdown crawl into literal text."""
        doomed = self._costly_tag_openers(text) + self._costly_link_openers(text)
        if not doomed:
            return text
        # Same-length stand-ins keep the cost estimates true; they turn back after bleach.
        chars = list(text)
        for k in doomed:
            chars[k] = _DEFUSED[chars[k]]
        return "".join(chars)

    def _costly_tag_openers(self, text: str) -> list[int]:
        closers = [m.start() for m in re.finditer(">", text)]
        doomed, spent = [], 0
        for m in _TAG_OPENER_RE.finditer(text):
            if _in_spans(self.fenced_spans, m.start()):
                continue
            closer = self._first_at_or_after(closers, m.start())
            cost = (len(text) if closer is None else closer) - m.start()
            if cost > _MAX_SCAN_PER_OPENER or spent + cost > _MAX_SCAN_PER_DOCUMENT:
                doomed.append(m.start())
            else:
                spent += cost
        return doomed

    def _costly_link_openers(self, text: str) -> list[int]:
        doomed, spent, block_start = [], 0, 0
        while block_start < len(text):
            block_end = text.find("\n\n", block_start)
            block_end = len(text) if block_end == -1 else block_end
            if "[" in text[block_start:block_end]:
                for pos, cost in self._link_scan_costs(text, block_start, block_end):
                    if cost > _MAX_SCAN_PER_OPENER or spent + cost > _MAX_SCAN_PER_DOCUMENT:
                        doomed.append(pos)
                    else:
                        spent += cost
            block_start = block_end + 2
        return doomed

    def _link_scan_costs(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """For each "[" in text[start:end]: how far python-markdown will scan from it."""
        match: dict[int, int] = {}
        brackets: list[int] = []
        parens: list[int] = []
        for m in _BRACKETS_RE.finditer(text, start, end):
            k = m.start()
            if _is_escaped(text, k) or _in_spans(self.code_spans, k):
                continue
            char = text[k]
            if char == "[":
                brackets.append(k)
            elif char == "(":
                parens.append(k)
            elif char == "]" and brackets:
                match[brackets.pop()] = k
            elif char == ")" and parens:
                match[parens.pop()] = k
        costs = []
        for m in re.finditer(r"\[", text[start:end]):
            k = start + m.start()
            if k not in match and (_is_escaped(text, k) or _in_spans(self.code_spans, k)):
                continue
            close = match.get(k, end)
            cost = close - k
            if close < end - 1 and text[close + 1] == "(":
                cost += match.get(close + 1, end) - close
            costs.append((k, cost))
        return costs

    def _line_start(self, p: int) -> int:
        """Handle block-level code at the start of a line; return where scanning goes on."""
        src = self.src
        if p >= self.n:
            return p
        after_blank = p == 0 or p == 1 or src[p - 2] == "\n"
        if src.startswith(("```", "~~~"), p):
            end = self._fenced_block_end(p)
            if end != -1:  # closed, or (unclosed) running to the end of the text
                self._verbatim(src[p:end], fenced=True)
                return end
            return p
        if not after_blank or src[p] == "\n":
            return p
        if src.startswith("    ", p):
            if self.list_context:  # a list item's continuation, not code
                return p
            block = _INDENTED_LINES_RE.match(src, p).group().rstrip("\n")
            self._verbatim(block, fenced=False)
            return p + len(block)
        self.list_context = bool(_LIST_ITEM_RE.match(src, p))
        return p

    def _fenced_block_end(self, p: int) -> int:
        m = _FENCE_OPENER_RE.match(self.src, p)
        if m is None:
            return -1
        closer = self._first_at_or_after(self.fence_closers.get(m.group("fence"), []), m.end() + 1)
        if closer is None:  # unclosed: code to the end, unless there is nothing to show
            return -1 if self._blank(m.end(), self.n) else self.n
        line_end = self.src.find("\n", closer)
        return self.n if line_end == -1 else line_end

    def _backslash(self, j: int) -> int:
        src = self.src
        nxt = src[j + 1 : j + 2]
        if nxt == "\\":
            self._emit("\\\\")
            return j + 2
        if nxt == "$":
            self._emit_slot(_Slot("literal", "\\$", "$"))
            return j + 2
        if nxt == "(":
            return self._delimited(j, self.paren_closers, display=False)
        if nxt == "[":
            return self._delimited(j, self.bracket_closers, display=True)
        if nxt == "b" and src.startswith("\\begin{", j):
            return self._environment(j)
        if nxt == "c" and src.startswith("\\cite", j):
            return self._cite(j)
        if nxt in "er" and (m := _REF_RE.match(src, j)):
            parens = m[1] == "eqref"
            self._emit_slot(_Slot("ref", m.group(), m.group(), tex=m.group(2), display=parens))
            return m.end()
        if nxt == "`":  # a Markdown escape, never the start of a code span
            self._emit("\\`")
            return j + 2
        self._emit("\\")
        return j + 1

    def _delimited(self, j: int, closers: list[int], *, display: bool) -> int:
        k = self._first_at_or_after(closers, j + 2)
        if k is not None and not self._blank(j + 2, k):
            # "\[" and "\]" on lines of their own may have blank lines between them.
            crosses_blocks = display and self._starts_line(j) and self._ends_line(k + 2)
            if crosses_blocks or k < self._next_break(j):
                self._math(self.src[j : k + 2], self.src[j + 2 : k], display)
                return k + 2
        self._text(self.src[j : j + 2])
        return j + 2

    def _environment(self, j: int) -> int:
        m = _BEGIN_RE.match(self.src, j)
        if m and m.group(1) in _MATH_ENVIRONMENTS:
            end_token = "\\end{" + m.group(1) + "}"
            k = self._find_end(end_token, m.end())
            if k != -1:
                source = self.src[j : k + len(end_token)]
                self._math(source, _katex_environment(m.group(1), source), True)
                return k + len(end_token)
        self._emit("\\")
        return j + 1

    def _cite(self, j: int) -> int:
        m = _CITE_RE.match(self.src, j)
        if m and "\n\n" not in m.group(1) and (keys := _cite_keys(m.group(1))):
            self._emit_slot(_Slot("cite", m.group(), m.group(), keys=keys))
            return m.end()
        self._emit("\\")
        return j + 1

    def _dollar(self, j: int) -> int:
        src = self.src
        if src.startswith("$$", j):
            k = self._first_at_or_after(self.double_dollars, j + 2)
            if k is not None and not self._blank(j + 2, k):
                crosses_blocks = self._starts_line(j) and self._ends_line(k + 2)
                if crosses_blocks or k < self._next_break(j):
                    self._math(src[j : k + 2], src[j + 2 : k], True)
                    return k + 2
                tex = self._quoted_display(j, k)
                if tex is not None:
                    self._math(src[j : k + 2], tex, True)
                    return k + 2
            self._emit("$$")
            return j + 2
        # pandoc's rule: no space after the opening $, none before the closing one, and
        # no digit after it, so "it costs $5 and $10" stays text; and, as in TeX, no other
        # $ inside (but inside \text{...}), so that stays text even when a formula follows.
        if j + 1 < self.n and not src[j + 1].isspace():
            k = self._inline_closer(j)
            if k is not None:
                self._math(src[j : k + 1], src[j + 1 : k], False)
                return k + 1
        elif j + 1 < self.n and src[j + 1] == " ":
            # "$ \alpha $", as MathJax read it: spaces on both sides and TeX inside.
            k = self._first_at_or_after(self.dollars, j + 1)
            if (
                k is not None
                and k < self._next_break(j)
                and src[k - 1] == " "
                and not src[k + 1 : k + 2].isdigit()
                and _TEXISH_RE.search(src, j + 1, k)
            ):
                self._math(src[j : k + 1], src[j + 1 : k], False)
                return k + 1
        self._emit("$")
        return j + 1

    def _inline_closer(self, j: int) -> int | None:
        limit = self._next_break(j)
        start, earliest = j + 1, j + 2
        for _ in range(8):  # a few \text{...} groups with dollars inside, no more
            k = self._first_at_or_after(self.dollar_closers, earliest)
            if k is None or k >= limit:
                return None
            group = _TEXT_GROUP_RE.search(self.src, start, k)
            if group is None:
                return k if self._first_at_or_after(self.dollars, start) == k else None
            end = self._group_end(group.end(), limit)
            if end is None:
                return None
            start = earliest = end
        return None

    def _group_end(self, start: int, limit: int) -> int | None:
        depth, position = 1, start
        while position < limit and position - start < 2000:
            char = self.src[position]
            if char == "\\":
                position += 2
                continue
            depth += {"{": 1, "}": -1}.get(char, 0)
            position += 1
            if depth == 0:
                return position
        return None

    def _quoted_display(self, j: int, k: int) -> str | None:
        """The TeX of "$$" ... "$$" over several lines of one blockquote, without the ">"s."""
        line_start = self.src.rfind("\n", 0, j) + 1
        prefix = _QUOTE_PREFIX_RE.match(self.src, line_start)
        if prefix is None or prefix.end() != j:
            return None
        depth = prefix.group().count(">")
        lines = self.src[j + 2 : k].split("\n")
        body = [lines[0]]
        for line in lines[1:]:
            m = _QUOTE_PREFIX_RE.match(line)
            if m is None or m.group().count(">") != depth:
                return None
            body.append(line[m.end() :])
        return "\n".join(body)

    def _backticks(self, j: int) -> int:
        src = self.src
        end = j
        while end < self.n and src[end] == "`":
            end += 1
        width = end - j
        if width >= 3 and _FENCE_PREFIX_RE.fullmatch(src, src.rfind("\n", 0, j) + 1, j):
            self._text(src[j:end])  # a fence inside a list item or quote: Markdown's
            return end
        k = self._first_at_or_after(self.tick_runs.get(width, []), end)
        if k is not None and k < self._next_break(j):
            self._emit_slot(_Slot("code", src[j : k + width], _code_span_text(src[j + width : k])))
            return k + width
        self._literal(src[j:end])
        return end


def _cite_keys(text: str) -> tuple[str, ...]:
    keys = [k for k in dict.fromkeys(normalize_cite_key(k) for k in text.split(",")) if k]
    return tuple(keys) if keys and all(_CITE_KEY_RE.fullmatch(k) for k in keys) else ()


def _code_span_text(content: str) -> str:
    """CommonMark: line ends are spaces; one space each side goes when both are there."""
    content = content.replace("\n", " ")
    if len(content) >= 2 and content[0] == content[-1] == " " and content.strip(" "):
        return content[1:-1]
    return content


def _katex_environment(name: str, source: str) -> str:
    substitute = _KATEX_ENVIRONMENT_SUBSTITUTES.get(name)
    if substitute is None:
        return source
    begin, end = f"\\begin{{{name}}}", f"\\end{{{name}}}"
    return substitute[0] + source[len(begin) : len(source) - len(end)] + substitute[1]


# --- Markdown ---------------------------------------------------------------------------

_IMAGE_URL_RE = re.compile(r"(?:https?://[^\s]+|/(?!/)[^\s]*)", re.IGNORECASE)
_BARE_IMAGE_RE = re.compile(
    r"https?://[^\s<>\"']+\.(?:png|jpe?g|gif|webp|svg)(?:[?#][^\s<>\"']*)?", re.IGNORECASE
)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _image_url_allowed(url: str) -> bool:
    return bool(_IMAGE_URL_RE.fullmatch(url)) and _href_allowed(url)


# What a browser ignores when it reads a URL's scheme: leading C0 controls and spaces, and
# tabs and newlines anywhere. bleach reads "javascript:123" as a host and port, browsers don't.
_URL_IGNORED_RE = re.compile(r"^[\x00-\x20]+|[\t\n\r]")
_URL_SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def _href_allowed(url: str) -> bool:
    url = _URL_IGNORED_RE.sub("", url)
    if url[:2].replace("\\", "/") == "//" and not url.startswith("//"):
        return False  # browsers read "/\host" and "\\host" as "//host", a link off-site
    scheme = _URL_SCHEME_RE.match(url)
    return scheme is None or scheme.group(1).lower() in ("http", "https", "mailto")


class _RenderState(threading.local):
    """Per-thread Markdown instances and what the current render needs inside them."""

    def __init__(self) -> None:
        self.markdown: markdown.Markdown | None = None
        self.footnotes: FootnoteExtension | None = None
        self.cleaners: dict[tuple[bool, bool, bool], bleach.Cleaner] = {}
        self.slots: list[_Slot] = []
        self.nonce = ""
        self.allow_headings = True
        self.allow_images = True
        self.digest = ""


_state = _RenderState()


def _slot_text(match: re.Match[str]) -> str:
    index = int(match.group(2))
    if match.group(1) != _state.nonce or index >= len(_state.slots):
        return ""
    return " " + _state.slots[index].text + " "


def _heading_slug(value: str, separator: str) -> str:
    # Prefixed so that they cannot clobber the page's ids, and with the source's digest so
    # that two summaries on one page (or a summary typing the other's ids) never share one.
    slug = slugify_unicode(_PLACEHOLDER_RE.sub(_slot_text, value), separator)
    return f"s-{_state.digest}-{slug}"


class _SummaryTreeprocessor(Treeprocessor):
    """Headings for comments, image rules, and bare image URLs shown as images."""

    def run(self, root: etree.Element) -> None:
        parents = {child: parent for parent in root.iter() for child in parent}
        for separator in [p for p in root.iter("p") if (p.text or "").strip() == LIST_SEPARATOR]:
            if len(separator) == 0:
                parents[separator].remove(separator)
        for element in root.iter():
            if element.text and EMPTY_ITEM in element.text:
                element.text = element.text.replace(EMPTY_ITEM, "").strip() or None
        for empty in [p for p in root.iter("p") if not p.text and len(p) == 0]:
            parents[empty].remove(empty)
        for item in root.iter("li"):
            if "task-list-item" in item.get("class", ""):
                self._mark_task_box(item)
        for list_element in [e for e in root.iter() if e.tag in ("ul", "ol")]:
            _make_loose_throughout(list_element)
        for body in [b for b in root.iter("tbody") if _only_empty_cells(b)]:
            parents[body].remove(body)  # python-markdown's stand-in for "no rows"
        if not _state.allow_headings:
            for element in [e for e in root.iter() if e.tag in _HEADINGS]:
                strong = etree.Element("strong")
                strong.text, element.text = element.text, None
                strong.extend(list(element))
                for child in list(element):
                    element.remove(child)
                element.append(strong)
                element.tag = "p"
                element.attrib.clear()
        for image in [e for e in root.iter("img")]:
            self._check_image(image, parents[image])
        if _state.allow_images:
            for paragraph in root.iter("p"):
                if len(paragraph) == 0 and paragraph.text and "://" in paragraph.text:
                    _show_image_lines(paragraph)

    def _mark_task_box(self, item: etree.Element) -> None:
        """pymdownx.tasklist stashed its checkbox as raw HTML: take it back as a marker."""
        holder = item if (item.text or "").strip() or not len(item) else item[0]
        m = _STASH_RE.match(holder.text or "")
        if m is None:
            return
        stash = self.md.htmlStash.rawHtmlBlocks
        index = int(m[1])
        if index < len(stash) and isinstance(stash[index], str) and "<input" in stash[index]:
            marker = "\ue005" if "checked" in stash[index] else "\ue004"
            holder.text = marker + " " + holder.text[m.end() :].lstrip(" ")

    def _check_image(self, image: etree.Element, parent: etree.Element) -> None:
        src, alt = image.get("src", ""), image.get("alt", "")
        allowed = _image_url_allowed(src)
        if allowed and _state.allow_images:
            return
        if allowed:  # comments: a link to the image instead
            link = etree.Element("a", {"href": src})
            link.text = alt or src
            link.tail = image.tail
            parent.insert(list(parent).index(image), link)
            parent.remove(image)
            return
        _replace_with_text(parent, image, alt)


_STASH_RE = re.compile("\x02wzxhzdk:(\\d+)\x03")
_INLINE_TAGS = frozenset("a abbr b br code del em i img input kbd s span strong sub sup".split())


def _make_loose_throughout(list_element: etree.Element) -> None:
    """python-markdown wraps only the items after a blank line in <p>; CommonMark all."""
    items = [li for li in list_element if li.tag == "li"]
    if not any(child.tag == "p" for li in items for child in li):
        return
    for li in items:
        inline = []
        for child in li:
            if child.tag not in _INLINE_TAGS:
                break
            inline.append(child)
        if not (li.text or "").strip() and not inline:
            continue
        paragraph = etree.Element("p")
        paragraph.text, li.text = li.text, None
        for child in inline:
            li.remove(child)
            paragraph.append(child)
        tail = paragraph[-1].tail if len(paragraph) else None
        if len(paragraph):
            paragraph[-1].tail = tail.rstrip() if tail else tail
        li.insert(0, paragraph)


def _only_empty_cells(body: etree.Element) -> bool:
    rows = list(body)
    return len(rows) == 1 and all(not (c.text or "").strip() and len(c) == 0 for c in rows[0])


def _show_image_lines(paragraph: etree.Element) -> None:
    """A line that is nothing but an image URL shows the image, as on the original site."""
    lines = (paragraph.text or "").split("\n")
    if not any(_BARE_IMAGE_RE.fullmatch(line.strip()) for line in lines):
        return
    paragraph.text, last = "", None
    for number, line in enumerate(lines):
        text = ("\n" if number else "") + line
        url = line.strip()
        if _BARE_IMAGE_RE.fullmatch(url):
            name = url.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
            last = etree.SubElement(paragraph, "img", {"src": url, "alt": name})
            last.tail = "\n" if number else ""
        elif last is None:
            paragraph.text += text
        else:
            last.tail += text


def _replace_with_text(parent: etree.Element, element: etree.Element, text: str) -> None:
    text += element.tail or ""
    index = list(parent).index(element)
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text
    parent.remove(element)


class _HardBreakProcessor(InlineProcessor):
    """A backslash at the end of a line is a hard line break (CommonMark, GitHub)."""

    def handleMatch(self, m, data):  # noqa: N802 - python-markdown's name
        return etree.Element("br"), m.start(0), m.end(0)


# GitHub's one-tilde strikethrough; pymdownx.tilde's one tilde is a subscript instead.
_SINGLE_TILDE_RE = r"(?<![~\w])~(?=[^\s~])(.+?)(?<=[^\s~])~(?![~\w])"


class _SingleTildeDeleteProcessor(InlineProcessor):
    def handleMatch(self, m, data):  # noqa: N802 - python-markdown's name
        element = etree.Element("del")
        element.text = m.group(1)
        return element, m.start(0), m.end(0)


class _SummaryExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After whitespace normalization (30), before fenced code is stashed (25).
        md.preprocessors.register(CommonMarkBlocksPreprocessor(md), "commonmark_blocks", 28)
        # Before backslash escapes (180), which would keep the backslash.
        md.inlinePatterns.register(_HardBreakProcessor(r"\\\n", md), "hard_break", 185)
        # Bare e-mail addresses become mailto: links (GitHub does it); magiclink's pattern
        # alone, since bleach's linkifier already does URLs.
        md.inlinePatterns.register(MagiclinkMailPattern(RE_MAIL, md), "magic-mail", 84.9)
        md.inlinePatterns.register(_SingleTildeDeleteProcessor(_SINGLE_TILDE_RE, md), "del1", 64)
        # After inline patterns (20) so images exist, before toc (5) so headings are final.
        md.treeprocessors.register(_SummaryTreeprocessor(md), "shortscience", 8)


def _get_markdown() -> tuple[markdown.Markdown, FootnoteExtension]:
    if _state.markdown is None or _state.footnotes is None:
        footnotes = FootnoteExtension(BACKLINK_TITLE="Back to the text")
        _state.footnotes = footnotes
        _state.markdown = markdown.Markdown(
            extensions=[
                TableExtension(use_align_attribute=True),
                SuperFencesCodeExtension(),
                CodeHiliteExtension(css_class="highlight", guess_lang=False, noclasses=False),
                footnotes,
                SaneListExtension(),
                SaneHeadersExtension(),
                BetterEmExtension(),
                DeleteSubExtension(subscript=False, smart_delete=True),
                TasklistExtension(custom_checkbox=False, clickable_checkbox=False),
                TocExtension(baselevel=3, marker="", slugify=_heading_slug, permalink=False),
                _SummaryExtension(),
            ],
            output_format="html",
        )
        # Inline code never reaches Markdown (the tokenizer takes it), so skip the pattern.
        _state.markdown.inlinePatterns.deregister("backtick")
    return _state.markdown, _state.footnotes


def _markdown_to_html(text: str, source_digest: str) -> str:
    md, footnotes = _get_markdown()
    # Several summaries share a paper page: footnote ids carry a digest of the source.
    footnotes.setConfig("SEPARATOR", f"-{source_digest}-")
    md.reset()
    return md.convert(text)


# --- Sanitizing -------------------------------------------------------------------------

_BASE_TAGS = frozenset(
    "a abbr b blockquote br code dd del details div dl dt em hr i ins kbd li mark ol p pre "
    "q s samp small span strong sub summary sup table tbody td tfoot th thead tr u ul var".split()
)
_HEADING_TAGS = frozenset(("h3", "h4", "h5", "h6"))
_PYGMENTS_CLASSES = frozenset(c for c in STANDARD_TYPES.values() if c)
_ALLOWED_CLASSES = {
    "div": frozenset(("highlight", "footnote")),
    "span": _PYGMENTS_CLASSES | {"filename"},
    "a": frozenset(("footnote-ref", "footnote-backref")),
    "ul": frozenset(("task-list",)),
    "li": frozenset(("task-list-item",)),
}
_ID_RE = re.compile(r"(?:s|fn|fnref)-([0-9a-f]{6})-[\w.:%-]*")
_NUMBER_RE = re.compile(r"\d{1,4}")
_ALIGN_VALUES = frozenset(("left", "right", "center"))
_LINK_RE = re.compile(
    r"\(*(?:\bhttps?://|\bwww\.)[^\s<>\"'`{}|\\^]*[^\s<>\"'`{}|\\^.,;:!?]", re.IGNORECASE
)
_LINK_REL = "nofollow ugc noopener"
_LINK_HINT_RE = re.compile(r"<a[\s/>]|https?://|www\.", re.IGNORECASE)


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name == "class":
        allowed = _ALLOWED_CLASSES.get(tag, frozenset())
        return bool(value.split()) and all(c in allowed for c in value.split())
    if name == "id":  # only the ids this render made: they carry its source's digest
        m = _ID_RE.fullmatch(value)
        return tag in ("h3", "h4", "h5", "h6", "li", "sup") and bool(m) and m[1] == _state.digest
    if name == "title":
        return tag in ("a", "abbr", "img")
    if tag == "a":
        return name == "href" and _href_allowed(value)
    if tag == "img":
        if name == "src":
            return _image_url_allowed(value)
        return name == "alt" or (name in ("width", "height") and bool(_NUMBER_RE.fullmatch(value)))
    if tag in ("td", "th"):
        if name == "align":
            return value in _ALIGN_VALUES
        return name in ("colspan", "rowspan") and bool(_NUMBER_RE.fullmatch(value))
    if tag == "ol":
        return name == "start" and bool(_NUMBER_RE.fullmatch(value))
    if tag == "details":
        return name == "open"
    return False


def _link_attributes(attrs: dict, new: bool = False) -> dict | None:
    if new and _PLACEHOLDER_RE.search(attrs.get("_text", "")):
        return None  # never turn math or code into (part of) a link
    if not attrs.get((None, "href"), "#").startswith("#"):
        attrs[(None, "rel")] = _LINK_REL
    return attrs


class _ImageAttributesFilter(Filter):
    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "img":
                token["data"][(None, "loading")] = "lazy"
                token["data"][(None, "decoding")] = "async"
                token["data"][(None, "class")] = "summary-img"
            yield token


def _get_cleaner(allow_headings: bool, allow_images: bool, linkify: bool) -> bleach.Cleaner:
    key = (allow_headings, allow_images, linkify)
    cleaner = _state.cleaners.get(key)
    if cleaner is None:
        link_filter = partial(
            LinkifyFilter,
            callbacks=[_link_attributes],
            skip_tags={"pre", "code"},
            parse_email=False,  # e-mail addresses are magiclink's, in Markdown
            url_re=_LINK_RE,
        )
        tags = set(_BASE_TAGS)
        if allow_headings:
            tags |= _HEADING_TAGS
        if allow_images:
            tags.add("img")
        cleaner = bleach.Cleaner(
            tags=tags,
            attributes=_allowed_attribute,
            protocols={"http", "https", "mailto"},
            strip=False,  # a disallowed tag is shown as text: never lose what was typed
            strip_comments=True,
            # The linkify filter also sets rel on existing links; it is slow, so documents
            # without anything that looks like a URL or a link skip it.
            filters=[link_filter, _ImageAttributesFilter] if linkify else [_ImageAttributesFilter],
        )
        _state.cleaners[key] = cleaner
    return cleaner


# --- Bounds -------------------------------------------------------------------------------

# Nothing is ever injected into the request thread to stop a render. The source is at most
# SUMMARY_MAX_BYTES (100 KB); the tokenizer turns the "[" and "<" that would make
# python-markdown rescan into text (_MAX_SCAN_*), markdown_blocks caps list and quote
# nesting and puts headings in blocks of their own; python-markdown and bleach run in a
# worker process with a time limit (render_worker); KaTeX has its time budget inside V8.
# A rendering larger than this is refused, with a message for the writer:
MAX_RENDERED_CHARS = 1_000_000
# python-markdown and bleach run in a worker process that is killed after this long.
MARKDOWN_SECONDS = 0.9


class RenderRefused(ValueError):
    """A summary whose rendering would be too large to store and serve."""


# --- Putting it together ----------------------------------------------------------------

# A tag as bleach serializes it (attribute values are quoted and may contain ">"), or a
# placeholder in text.
_TAG_OR_PLACEHOLDER_RE = re.compile(
    r"""<(/?)([A-Za-z][A-Za-z0-9]*)\b(?:[^>"']|"[^"]*"|'[^']*')*>|""" + _PLACEHOLDER_RE.pattern
)
_ATTRIBUTE_RE = re.compile(r"""([^\s=/>"']+)=("[^"]*"|'[^']*')""")
_URLISH_ATTRIBUTES = frozenset(("href", "src", "id"))


@dataclass
class _Occurrence:
    piece: int
    slot: int
    context: str  # "text", "link" (text inside <a>) or "code"


class _Prepared:
    """Sanitized HTML with placeholders still in it, and where each one landed."""

    def __init__(self, html_text: str, slots: list[_Slot], nonce: str, digest: str = "") -> None:
        self.slots = slots
        self.nonce = nonce
        self.digest = digest
        self.problem = ""
        self.pieces: list[str] = []
        self.occurrences: list[_Occurrence] = []
        self._split(html_text)

    def _split(self, html_text: str) -> None:
        position, code_depth, link_depth = 0, 0, 0
        for m in _TAG_OR_PLACEHOLDER_RE.finditer(html_text):
            if m.group(2):
                name, step = m.group(2).lower(), -1 if m.group(1) else 1
                if name in ("code", "pre"):
                    code_depth = max(0, code_depth + step)
                elif name == "a":
                    link_depth = max(0, link_depth + step)
                if self.nonce not in m.group():
                    continue
                self.pieces.append(html_text[position : m.start()])
                self.pieces.append(_ATTRIBUTE_RE.sub(self._fill_attribute, m.group()))
            else:
                index = int(m.group(4))
                if m.group(3) != self.nonce or index >= len(self.slots):
                    continue
                self.pieces.append(html_text[position : m.start()])
                context = "code" if code_depth else "link" if link_depth else "text"
                self.occurrences.append(_Occurrence(len(self.pieces), index, context))
                self.pieces.append("")
            position = m.end()
        self.pieces.append(html_text[position:])

    def _fill_attribute(self, m: re.Match[str]) -> str:
        name, value = m.group(1).lower(), m.group(2)

        def fill(p: re.Match[str]) -> str:
            index = int(p.group(2))
            if p.group(1) != self.nonce or index >= len(self.slots):
                return ""
            text = self.slots[index].text
            if name in _URLISH_ATTRIBUTES:  # percent-encoded: it cannot form a new scheme
                return quote(text, safe="")
            return html.escape(text, quote=True)

        return f"{m.group(1)}={_PLACEHOLDER_RE.sub(fill, value)}"

    def _number_equations(self, math: list[_Occurrence]) -> dict[str, str]:
        """Equation numbers, in order, for every \\label in display math (the first wins)."""
        numbers: dict[str, str] = {}
        for occurrence in math:
            slot = self.slots[occurrence.slot]
            if slot.display and "\\label" in slot.tex:
                for label in _LABEL_RE.findall(slot.tex):
                    numbers.setdefault(label, str(len(set(numbers.values())) + 1))
        return numbers

    def _anchor(self, number: str) -> str:
        return f"eq-{self.digest}-{number}"

    def _reference_html(self, slot: _Slot, numbers: Mapping[str, str], *, in_link: bool) -> str:
        number = numbers.get(slot.tex)
        if number is None:
            label = html.escape(slot.tex)
            title = f"No equation is labelled {label}"
            return f'<span class="eqref eqref-missing" title="{title}">(??)</span>'
        text = f"({number})" if slot.display else number
        if in_link:
            return f'<span class="eqref">{text}</span>'
        return f'<a class="eqref" href="#{self._anchor(number)}">{text}</a>'

    def _in_text(self) -> list[_Occurrence]:
        return [o for o in self.occurrences if o.context != "code"]

    def cited_keys(self) -> tuple[str, ...]:
        keys: dict[str, None] = {}
        for occurrence in self._in_text():
            for key in self.slots[occurrence.slot].keys:
                keys.setdefault(key, None)
        return tuple(keys)

    def finish(
        self, targets: Mapping[str, CitationTarget], missing_url: Callable[[str], str]
    ) -> str:
        math = [o for o in self._in_text() if self.slots[o.slot].kind == "math"]
        numbers = self._number_equations(math)
        formulas = []
        for o in math:
            slot = self.slots[o.slot]
            tex = _numbered_tex(slot.tex, numbers) if "\\label" in slot.tex else slot.tex
            if "\\ref" in tex or "\\eqref" in tex:
                tex = _REF_RE.sub(lambda m: _reference_tex(m, numbers), tex)
            if slot.keys:
                tex = _CITE_RE.sub(lambda m: _citation_tex(m, targets), tex)
            formulas.append((tex, slot.display))
        rendered = katex.render_math(formulas)
        unrendered = sum(1 for r in rendered if not r.cacheable)
        if unrendered and not self.problem:
            self.problem = (
                f"{unrendered} formula{'s' if unrendered > 1 else ''} could not be typeset "
                "in time and show as source; it will be rendered again."
            )
        math_html = {o.piece: r for o, r in zip(math, rendered, strict=True)}
        pieces = list(self.pieces)
        for occurrence in self.occurrences:
            slot = self.slots[occurrence.slot]
            if occurrence.context == "code" or slot.kind == "literal":
                pieces[occurrence.piece] = html.escape(
                    slot.source if occurrence.context == "code" else slot.text, quote=False
                )
            elif slot.kind == "code":
                pieces[occurrence.piece] = f"<code>{html.escape(slot.text, quote=False)}</code>"
            elif slot.kind == "cite":
                pieces[occurrence.piece] = _citation_html(
                    slot.keys, targets, missing_url, in_link=occurrence.context == "link"
                )
            elif slot.kind == "ref":
                pieces[occurrence.piece] = self._reference_html(
                    slot, numbers, in_link=occurrence.context == "link"
                )
            else:
                labels = _LABEL_RE.findall(slot.tex) if slot.display else []
                anchors = [self._anchor(numbers[label]) for label in labels if label in numbers]
                pieces[occurrence.piece] = _math_html(slot, math_html[occurrence.piece], anchors)
        result = "".join(pieces)
        if self.nonce in result:  # a placeholder mangled beyond recognition; never leak it
            result = re.sub(rf"ph{self.nonce}n\d*q?", "", result)
        return result


def _markdown_and_sanitize(
    markdown_text: str,
    slots: list[_Slot],
    nonce: str,
    digest: str,
    allow_headings: bool,
    allow_images: bool,
) -> str:
    """python-markdown, then bleach: what runs in a render worker (see render_worker)."""
    _state.slots, _state.nonce, _state.digest = slots, nonce, digest
    _state.allow_headings, _state.allow_images = allow_headings, allow_images
    try:
        body = _markdown_to_html(markdown_text, digest)
        linkify = _LINK_HINT_RE.search(body) is not None
        return _get_cleaner(allow_headings, allow_images, linkify).clean(body)
    except BaseException:
        _state.markdown = None  # possibly left half-way: start afresh next time
        _state.cleaners.clear()
        raise
    finally:
        _state.slots, _state.nonce, _state.digest = [], "", ""


def _prepare(text: str, *, allow_headings: bool, allow_images: bool) -> _Prepared:
    nonce = secrets.token_hex(8)
    tokenizer = _Tokenizer(text, nonce)
    markdown_text = tokenizer.run()
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    problem = ""
    args = (markdown_text, tokenizer.slots, nonce, digest, allow_headings, allow_images)
    try:
        clean = render_worker.run(_markdown_and_sanitize, args, seconds=MARKDOWN_SECONDS)
    except Exception:  # absurd input, RecursionError, a library bug, a dead worker
        logger.warning("Markdown failed; showing plain paragraphs", exc_info=True)
        clean = None
        problem = "Its Markdown could not be read, so it shows as plain paragraphs."
    if clean is None:
        if not problem:
            logger.warning("Markdown took over %ss; showing plain paragraphs", MARKDOWN_SECONDS)
            problem = (
                "Its Markdown took too long to lay out, so it shows as plain paragraphs; "
                "it will be rendered again."
            )
        clean = _plain_paragraphs(markdown_text)
    clean = _DEFUSED_RE.sub(lambda m: _UNDEFUSED[m.group()], clean)
    clean = _TASK_BOX_RE.sub(lambda m: _TASK_BOXES[m.group()], clean)
    prepared = _Prepared(clean, tokenizer.slots, nonce, digest)
    prepared.problem = problem
    return prepared


def _math_html(slot: _Slot, result: katex.MathResult, anchors: Sequence[str] = ()) -> str:
    if result.html is not None:
        body = result.html
    else:
        message = html.escape(result.error or "Could not render this formula", quote=True)
        body = f'<span class="math-error" title="{message}">{html.escape(slot.source)}</span>'
    if slot.display:
        ids = "".join(f'<span id="{anchor}"></span>' for anchor in anchors[1:])
        own = f' id="{anchors[0]}"' if anchors else ""
        return f'<span class="math-display"{own}>{ids}{body}</span>'
    return body


def _numbered_tex(tex: str, numbers: Mapping[str, str]) -> str:
    """\\label{x} as \\tag{n}; numbered environments starred, so KaTeX adds no numbers."""
    if "\\tag" in tex:
        return _LABEL_RE.sub("", tex)
    tex = _NUMBERED_ENVIRONMENT_RE.sub(lambda m: f"\\{m[1]}{{{m[2]}*}}", tex)
    return _LABEL_RE.sub(lambda m: f"\\tag{{{numbers.get(m[1], '?')}}}", tex)


def _reference_tex(m: re.Match[str], numbers: Mapping[str, str]) -> str:
    number = numbers.get(m[2], "??")
    return f"\\text{{({number})}}" if m[1] == "eqref" else f"\\text{{{number}}}"


_TEX_TEXT_ESCAPES = str.maketrans({c: "\\" + c for c in "&%$#_{}"} | {"\\": "", "^": "", "~": " "})


def _citation_tex(m: re.Match[str], targets: Mapping[str, CitationTarget]) -> str:
    labels = []
    for key in _cite_keys(m.group(1)):
        target = targets.get(key)
        labels.append(target.label if target else key + "?")
    return "\\text{[" + "; ".join(labels).translate(_TEX_TEXT_ESCAPES) + "]}"


def _citation_html(
    keys: tuple[str, ...],
    targets: Mapping[str, CitationTarget],
    missing_url: Callable[[str], str],
    *,
    in_link: bool,
) -> str:
    """One bracketed group, e.g. "[Ren et al., 2015; He et al., 2017]"."""
    parts = []
    for key in keys:
        target = targets.get(key)
        if in_link:  # no links inside links: just the label
            label = target.label if target else key + "?"
            parts.append(f'<span class="cite">{html.escape(label)}</span>')
        elif target is not None:
            parts.append(
                f'<a class="cite" href="{html.escape(target.url)}" '
                f'title="{html.escape(target.title)}">{html.escape(target.label)}</a>'
            )
        else:
            parts.append(
                f'<a class="cite cite-missing" href="{html.escape(missing_url(key))}" '
                f'title="Not on ShortScience yet: add it">{html.escape(key)}?</a>'
            )
    return '<span class="citation">[' + "; ".join(parts) + "]</span>"


# --- Plain text -------------------------------------------------------------------------

_PLAIN_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd details div dl dt figcaption figure footer h1 h2 "
    "h3 h4 h5 h6 header hr li ol p pre section summary table tbody td tfoot th thead tr ul".split()
)
_TAG_IN_TEX_RE = re.compile(r"\\tag\{[^{}]*\}")
_MATH_DELIMITERS_RE = re.compile(r"^\s*(?:\$\$?|\\[(\[])|(?:\$\$?|\\[)\]])\s*$")


class _PlainText(HTMLParser):
    """What a reader sees, as text: formulas as their TeX, citations as their labels."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []  # per open element: "skip", "tex", "error" or ""

    def _skipping(self) -> bool:
        return "skip" in self.stack

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "input":
            if not self._skipping():
                self.parts.append("[x] " if "checked" in dict(attrs) else "[ ] ")
            return
        if tag in ("br", "hr", "img", "wbr"):
            if not self._skipping():
                self.parts.append("\n")
            return
        if tag in _PLAIN_BLOCK_TAGS and not self._skipping():
            self.parts.append("\n")
        if "katex-html" in classes or "footnote-backref" in classes:
            self.stack.append("skip")
        elif tag == "annotation" and "skip" not in self.stack:
            self.stack.append("tex")
        elif tag == "math" or "katex-mathml" in classes:
            self.stack.append("mathml")
        elif "math-error" in classes:
            self.stack.append("error")
        else:
            self.stack.append("")

    def handle_endtag(self, tag):
        if tag in ("input", "br", "hr", "img", "wbr"):
            return
        if self.stack:
            self.stack.pop()
        if tag in _PLAIN_BLOCK_TAGS and not self._skipping():
            self.parts.append("\n")

    def handle_data(self, data):
        if self._skipping():
            return
        if "mathml" in self.stack and "tex" not in self.stack:
            return  # MathML's own text repeats the formula: its TeX annotation says it
        if "tex" in self.stack or "error" in self.stack:
            data = " " + _MATH_DELIMITERS_RE.sub("", data.strip()).strip() + " "
            data = _TAG_IN_TEX_RE.sub("", data)
        self.parts.append(data)


def plain_text(rendered_html: str) -> str:
    """The reader-visible text of rendered HTML (for search, snippets, feeds, e-mails):
    citation labels, no Markdown markers, formulas as readable TeX without delimiters."""
    parser = _PlainText()
    parser.feed(rendered_html)
    parser.close()
    text = "".join(parser.parts)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
