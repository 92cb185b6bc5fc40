"""Teasers: the opening of a rendered summary that listing pages show, cut when it is saved.

About the 400 px the original site showed: whole top-level blocks (paragraphs, lists,
formulas, tables) are taken until they hold TEXT_CHARS characters of text, and no more once
the next block would take the teaser past MAX_BYTES of HTML, so a listing of 20 cards stays
near 100 KB however much math the summaries hold. The first block is always taken. A cut
teaser ends with CUT_MARK, after which the card links to the whole summary.

Formulas keep only their MathML, which browsers lay out natively: KaTeX writes each one
twice (HTML for its stylesheet and MathML for screen readers), and the HTML copy is three
quarters of the bytes. The stored summary keeps both; the paper page shows that.
"""

import re
from html.parser import HTMLParser

TEXT_CHARS = 450
MAX_BYTES = 3000
CUT_MARK = "<!-- more -->"

_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_KATEX_HTML = re.compile(r'<span class="katex-html" aria-hidden="true">')
_SPAN_TAG = re.compile(r"<span\b|</span>")
# KaTeX's stylesheet hides .katex-mathml (it is for screen readers beside the HTML copy).
_MATHML_WRAPPER = '<span class="katex-mathml">'


class _Blocks(HTMLParser):
    """Top-level elements of an HTML fragment as (tag, start, end, text length), in offsets."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.line_starts = [0]
        for line in html.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.depth = 0
        self.start = None
        self.text = 0
        self.blocks = []
        self.feed(html)
        self.close()

    def _offset(self):
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            if self.depth == 0:
                start = self._offset()
                end = self.html.index(">", start) + 1
                self.blocks.append((tag, start, end, 0))
            return
        if self.depth == 0:
            self.tag, self.start, self.text = tag, self._offset(), 0
        self.depth += 1

    def handle_endtag(self, tag):
        if tag in _VOID or self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0:
            end = self.html.index(">", self._offset()) + 1
            self.blocks.append((self.tag, self.start, end, self.text))

    def handle_data(self, data):
        if self.depth:
            self.text += len(" ".join(data.split()))


def mathml_only(html):
    """`html` with each KaTeX formula's HTML copy removed and its MathML copy made visible.
    Anything that is not balanced KaTeX output is left as it is."""
    kept, position = [], 0
    while match := _KATEX_HTML.search(html, position):
        kept.append(html[position : match.start()])
        depth, end = 1, match.end()
        while depth:
            found = _SPAN_TAG.search(html, end)
            if found is None:
                return html
            depth += 1 if found.group() == "<span" else -1
            end = found.end()
        position = end
    kept.append(html[position:])
    return "".join(kept).replace(_MATHML_WRAPPER, "<span>")


def cut(html):
    """The teaser of a summary whose rendered HTML is `html`."""
    html = mathml_only(html)
    blocks = _Blocks(html).blocks
    taken, taken_text = [], 0
    for tag, _start, end, text in blocks:
        if taken and (taken_text >= TEXT_CHARS or len(html[:end].encode()) > MAX_BYTES):
            break
        taken.append((tag, end))
        taken_text += text
    else:
        return html
    while len(taken) > 1 and taken[-1][0] in _HEADINGS:
        taken.pop()  # a teaser does not end on a heading
    return html[: taken[-1][1]].rstrip() + "\n" + CUT_MARK


def is_cut(teaser):
    return teaser.endswith(CUT_MARK)
