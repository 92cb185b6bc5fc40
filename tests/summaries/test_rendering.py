"""The rendering pipeline, checked structurally: the output is parsed, never string-matched.

In the visible text used by these tests, inline math shows as ⟨tex⟩, display math as
⟦tex⟧, a formula that failed as ⟪source⟫ and inline code as `code`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from summaries import katex
from summaries.rendering import (
    PIPELINE_VERSION,
    CitationTarget,
    Rendered,
    extract_citation_keys,
    normalize_cite_key,
    render_markdown,
)

# --- A tiny DOM -------------------------------------------------------------------------

VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, class_: str | None = None) -> list[Node]:
        return [
            n
            for n in self.iter()
            if n is not self
            and (tag is None or n.tag == tag)
            and (class_ is None or class_ in n.classes)
        ]

    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text() for c in self.children)

    def inside(self, class_: str) -> bool:
        node = self.parent
        while node is not None:
            if class_ in node.classes:
                return True
            node = node.parent
        return False


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID_TAGS:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs), parent=self.stack[-1]))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def tex_of(katex_node: Node) -> str:
    annotation = next(n for n in katex_node.iter() if n.tag == "annotation")
    return _squash(annotation.raw_text())


def visible_text(node: Node) -> str:
    def walk(n: Node | str) -> str:
        if isinstance(n, str):
            return n
        if "katex" in n.classes:
            tex = tex_of(n)
            return f"⟦{tex}⟧" if n.inside("katex-display") else f"⟨{tex}⟩"
        if "math-error" in n.classes:
            return f"⟪{n.raw_text()}⟫"
        if n.tag == "code" and (n.parent is None or n.parent.tag != "pre"):
            return f"`{n.raw_text()}`"
        return "".join(walk(c) for c in n.children)

    return _squash(walk(node))


@dataclass
class Doc:
    result: Rendered
    root: Node

    @property
    def text(self) -> str:
        return visible_text(self.root)

    def math(self) -> list[str]:
        return [tex_of(n) for n in self.root.find_all(class_="katex") if not n.inside("katex")]

    def inline_math(self) -> list[str]:
        return [
            tex_of(n) for n in self.root.find_all(class_="katex") if not n.inside("katex-display")
        ]

    def display_math(self) -> list[str]:
        return [tex_of(n) for n in self.root.find_all(class_="katex") if n.inside("katex-display")]

    def errors(self) -> list[str]:
        return [n.raw_text() for n in self.root.find_all(class_="math-error")]

    def tags(self) -> set[str]:
        return {n.tag for n in self.root.find_all()}

    def outside_math(self) -> list[Node]:
        return [
            n for n in self.root.find_all() if not n.inside("katex") and "katex" not in n.classes
        ]

    def one(self, tag: str, class_: str | None = None) -> Node:
        found = self.root.find_all(tag, class_)
        assert len(found) == 1, f"expected one <{tag}>, found {len(found)} in {self.result.html}"
        return found[0]


PAPERS = {
    "conf/nips/RenHGS15": CitationTarget(
        "/paper/conf/nips/RenHGS15/", "Ren et al., 2015", "Faster R-CNN: Towards Real-Time"
    ),
    "conf/iccv/HeGDG17": CitationTarget(
        "/paper/conf/iccv/HeGDG17/", "He et al., 2017", "Mask R-CNN"
    ),
    "10.1002/(SICI)1097": CitationTarget("/paper/10.1002/(SICI)1097/", "Old et al., 1999", "Old"),
}


def resolve(keys):
    return {k: PAPERS[k] for k in keys if k in PAPERS}


def render(source: str, **kwargs) -> Doc:
    kwargs.setdefault("resolve_citations", resolve)
    result = render_markdown(source, **kwargs)
    return Doc(result, parse(result.html))


# --- The corpus -------------------------------------------------------------------------


@dataclass
class Case:
    id: str
    source: str
    text: str | None = None  # the whole visible text, whitespace squashed
    inline: list[str] | None = None  # inline formulas, in order
    display: list[str] | None = None  # display formulas, in order
    errors: list[str] = field(default_factory=list)  # sources of formulas that failed
    tags: set[str] = field(default_factory=set)  # elements that must be present
    absent: set[str] = field(default_factory=set)  # elements that must not be
    cited: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)


CASES = [
    # math: inline
    Case("dollar", "Let $x^2$ be.", "Let ⟨x^2⟩ be.", inline=["x^2"]),
    Case(
        "dollar-stars-underscores",
        "$a_1 * b_2$ and $c_3 * d_4$",
        "⟨a_1 * b_2⟩ and ⟨c_3 * d_4⟩",
        inline=["a_1 * b_2", "c_3 * d_4"],
        absent={"em", "strong"},
    ),
    Case("braces", r"Set $\{x\}$.", r"Set ⟨\{x\}⟩.", inline=[r"\{x\}"]),
    Case("brackets-parens", "$[0,1](x)$", "⟨[0,1](x)⟩", inline=["[0,1](x)"], absent={"a"}),
    Case("less-than", "If $a<b$ and $b>c$.", "If ⟨a<b⟩ and ⟨b>c⟩.", inline=["a<b", "b>c"]),
    Case(
        "inline-matrix",
        r"$\begin{matrix}a & b \\ c & d\end{matrix}$",
        inline=[r"\begin{matrix}a & b \\ c & d\end{matrix}"],
    ),
    Case("paren", r"So \(x+y\) holds.", "So ⟨x+y⟩ holds.", inline=["x+y"]),
    Case("paren-lines", "See \\(a +\nb\\) here.", "See ⟨a + b⟩ here.", inline=["a + b"]),
    Case("dollar-lines", "See $a +\nb$ here.", "See ⟨a + b⟩ here.", inline=["a + b"]),
    Case("dollar-not-across-paragraphs", "$a\n\nb$", "$a b$", inline=[]),
    Case("dollar-ampersand", r"$a \& b < c$", inline=[r"a \& b < c"]),
    Case("underscores-outside", "snake_case $x_i$ words_here", inline=["x_i"], absent={"em"}),
    Case("emphasis-around", "*see $x$*", tags={"em"}, inline=["x"]),
    # math: not math
    Case("currency", "It costs $5 and $10.", "It costs $5 and $10.", inline=[]),
    Case("currency-commas", "From $20,000 to $30,000 a year", inline=[]),
    Case(
        "currency-then-math",
        "It costs $5 and $10. Then $x$.",
        "It costs $5 and $10. Then ⟨x⟩.",
        inline=["x"],
    ),
    Case("space-after-opener", "a $ x$ b", "a $ x$ b", inline=[]),
    Case("space-before-closer", "a $x $ b", "a $x $ b", inline=[]),
    Case("digit-after-closer", "$x$5", "$x$5", inline=[]),
    Case("escaped-dollar", r"a \$ b", "a $ b", inline=[]),
    Case("escaped-dollars", r"\$x\$ is text", "$x$ is text", inline=[]),
    Case("escaped-dollar-in-math", r"$a\$b$", inline=[r"a\$b"]),
    Case("double-backslash-then-math", r"\\$x$", r"\⟨x⟩", inline=["x"]),
    Case("lone-dollars", "$ and $$ alone", "$ and $$ alone", inline=[], display=[]),
    # math: display
    Case("display-dollars", "$$\nx = 1\n$$", "⟦x = 1⟧", display=["x = 1"], inline=[]),
    Case("display-in-paragraph", "text $$x$$ more", "text ⟦x⟧ more", display=["x"]),
    Case("display-blank-line", "$$\na\n\nb\n$$", display=["a b"]),
    Case("bracket", "\\[\nx\n\\]", "⟦x⟧", display=["x"]),
    Case(
        "bracket-in-paragraph",
        "we have \\[ a =\n b \\] so",
        "we have ⟦a = b⟧ so",
        display=["a = b"],
    ),
    Case("bracket-blank-lines", "\\[\na\n\nb\n\\]", display=["a b"]),
    Case(
        "display-matrix",
        "$$\n\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}\n$$",
        display=[r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"],
    ),
    Case(
        "equation-env",
        "\\begin{equation}\nE = mc^2\n\\end{equation}",
        display=[r"\begin{equation} E = mc^2 \end{equation}"],
    ),
    Case(
        "align-star-env",
        "Text\n\n\\begin{align*}\na &= b \\\\\n\nc &= d\n\\end{align*}\n\nMore",
        display=[r"\begin{align*} a &= b \\ c &= d \end{align*}"],
    ),
    Case(
        "gather-env",
        "\\begin{gather}a \\\\ b\\end{gather}",
        display=[r"\begin{gather}a \\ b\end{gather}"],
    ),
    Case(
        "multline-env",
        "\\begin{multline}a \\\\ b\\end{multline}",
        display=[r"\begin{gather}a \\ b\end{gather}"],
    ),
    Case(
        "eqnarray-env",
        "\\begin{eqnarray}a &=& b\\end{eqnarray}",
        display=[r"\begin{array}{rcl}a &=& b\end{array}"],
    ),
    Case(
        "bare-pmatrix",
        "\\begin{pmatrix}a\\end{pmatrix}",
        display=[r"\begin{pmatrix}a\end{pmatrix}"],
    ),
    Case("not-a-math-env", "\\begin{itemize}x\\end{itemize}", inline=[], display=[]),
    # math: errors and extras
    Case("bad-math", r"Oops $\frac{a$ here", r"Oops ⟪$\frac{a$⟫ here", errors=[r"$\frac{a$"]),
    Case("undefined-macro", r"$\nosuchmacro$", errors=[r"$\nosuchmacro$"]),
    Case("heading-math", "# Title $x$", "Title ⟨x⟩", inline=["x"], tags={"h3"}),
    Case("link-text-math", "[see $x$](https://example.com)", inline=["x"], tags={"a"}),
    Case("table-pipes-in-math", "| a |\n|---|\n| $|x|$ |", inline=["|x|"], tags={"table", "td"}),
    Case(
        "macros-shared",
        r"$\newcommand{\Rr}{\mathbb{R}}$ then $x \in \Rr$",
        inline=[r"\newcommand{\Rr}{\mathbb{R}}", r"x \in \Rr"],
    ),
    Case("unicode-math", r"$\text{日本}$", inline=[r"\text{日本}"]),
    Case("math-in-list", "- one $x_1$\n- two $y_1$", inline=["x_1", "y_1"], tags={"ul", "li"}),
    Case("math-in-quote", "> quoted $x$\n> > deeper $y$", inline=["x", "y"], tags={"blockquote"}),
    Case("list-continuation-is-not-code", "- a\n\n    $x$ continues", inline=["x"], absent={"pre"}),
    # code
    Case("inline-code", "`$x$ \\cite{a}`", "`$x$ \\cite{a}`", inline=[], cited=()),
    Case("double-backtick-code", "`` a ` b ``", "`a ` b`"),
    Case("unmatched-backtick", "a ` b", "a ` b", absent={"code"}),
    Case("escaped-backtick", "a \\`b` c", "a `b` c", absent={"code"}),
    Case("many-backticks", "`" * 10_000, "`" * 10_000),
    Case("fenced", "```\n$x$ \\cite{a}\n```", "$x$ \\cite{a}", inline=[], tags={"pre"}),
    Case("fenced-tilde", "~~~\n$x$\n~~~", "$x$", inline=[], tags={"pre"}),
    Case("fenced-python", "```python\nx = 1  # $y$\n```", inline=[], tags={"pre", "span"}),
    Case("unclosed-fence", "```\ncode $x$", "code $x$", inline=[], tags={"pre"}),
    Case("indented-code", "para\n\n    $x$ code\n\nafter $y$", inline=["y"], tags={"pre"}),
    # citations
    Case(
        "cite",
        r"As in \cite{conf/nips/RenHGS15}.",
        "As in [Ren et al., 2015].",
        cited=("conf/nips/RenHGS15",),
    ),
    Case(
        "cite-dblp",
        r"\cite{DBLP:conf/nips/RenHGS15}",
        "[Ren et al., 2015]",
        cited=("conf/nips/RenHGS15",),
    ),
    Case(
        "cite-many",
        r"\cite{conf/nips/RenHGS15, conf/iccv/HeGDG17}",
        "[Ren et al., 2015; He et al., 2017]",
        cited=("conf/nips/RenHGS15", "conf/iccv/HeGDG17"),
    ),
    Case(
        "cite-missing",
        r"\cite{journals/corr/1611.03530}",
        "[journals/corr/1611.03530?]",
        cited=("journals/corr/1611.03530",),
    ),
    Case(
        "cite-parens",
        r"\cite{10.1002/(SICI)1097}",
        "[Old et al., 1999]",
        cited=("10.1002/(SICI)1097",),
    ),
    Case("cite-dedupe", r"\cite{b} and \cite{a, b, b}", "[b?] and [a?; b?]", cited=("b", "a")),
    Case("cite-in-math", r"$x \cite{a}$", inline=[r"x \text{[a?]}"], cited=("a",)),
    Case("cite-bad-key", r"\cite{a b} \cite{a;b}", r"\cite{a b} \cite{a;b}", cited=()),
    Case(
        "cite-in-heading",
        r"## About \cite{conf/iccv/HeGDG17}",
        tags={"h4", "a"},
        cited=("conf/iccv/HeGDG17",),
    ),
    # headings, tables, footnotes
    Case(
        "headings-shift",
        "# A\n\n## B\n\n### C\n\n#### D\n\n###### F",
        tags={"h3", "h4", "h5", "h6"},
        absent={"h1", "h2"},
    ),
    Case("setext-heading", "Title\n=====\n\nSub\n---", tags={"h3", "h4"}, absent={"h1", "h2"}),
    Case(
        "comment-headings",
        "# Big $x$",
        "Big ⟨x⟩",
        tags={"p", "strong"},
        absent={"h1", "h2", "h3", "h4", "h5", "h6"},
        options={"allow_headings": False},
    ),
    Case(
        "table", "| a | b |\n|:--|--:|\n| 1 | 2 |", "a b 1 2", tags={"table", "thead", "th", "td"}
    ),
    Case("footnote", "Claim.[^1]\n\n[^1]: Source $x$.", inline=["x"], tags={"sup", "ol", "li"}),
    Case("lists", "1. one\n2. two\n\n* x\n* y", tags={"ol", "ul"}),
    # images
    Case("image", "![a cat](https://example.com/cat.png)", tags={"img"}),
    Case("image-site-relative", "![logo](/static/logo.png)", tags={"img"}),
    Case(
        "image-protocol-relative", "![alt text](//evil.example/x.png)", "alt text", absent={"img"}
    ),
    Case("image-javascript", "![alt text](javascript:alert(1))", "alt text", absent={"img"}),
    Case("image-data", "![alt text](data:image/png;base64,AAAA)", "alt text", absent={"img"}),
    Case("image-relative", "![alt text](cat.png)", "alt text", absent={"img"}),
    Case("bare-image-url", "https://example.com/pic.JPG", tags={"img"}),
    Case(
        "image-url-in-sentence", "see https://example.com/pic.png here", tags={"a"}, absent={"img"}
    ),
    Case(
        "comment-image-becomes-link",
        "![a cat](https://example.com/cat.png)",
        "a cat",
        tags={"a"},
        absent={"img"},
        options={"allow_images": False},
    ),
    # links
    Case("link", "[site](https://example.com/)", "site", tags={"a"}),
    Case(
        "autolink", "Visit https://example.com/page.", "Visit https://example.com/page.", tags={"a"}
    ),
    Case("autolink-www", "or www.example.com, then", tags={"a"}),
    Case("no-autolink-in-code", "`https://example.com`", absent={"a"}),
    Case(
        "no-autolink-filenames",
        "run train.py and model.sh",
        "run train.py and model.sh",
        absent={"a"},
    ),
    Case("mailto", "[mail](mailto:a@example.com)", tags={"a"}),
    # HTML that must not survive as HTML
    Case("script", "<script>alert(1)</script>", "<script>alert(1)</script>", absent={"script"}),
    Case("iframe", '<iframe src="https://evil.example"></iframe>', absent={"iframe"}),
    Case("style-element", "<style>body{display:none}</style>", absent={"style"}),
    Case("form", '<form action="/x"><input name="a"></form>', absent={"form", "input"}),
    Case("raw-allowed-html", "<sub>2</sub> and <kbd>Ctrl</kbd>", tags={"sub", "kbd"}),
    Case("html-comment", "a <!-- $x$ hidden --> b", "a b", inline=[]),
    Case("entities", "AT&T &amp; &lt;tag&gt;", "AT&T & <tag>"),
    # placeholders cannot be typed, and math stays out of attributes
    Case("fake-placeholder", "ph0123456789abcdefn0q and $x$", inline=["x"]),
    Case("math-in-link-url", "[x](https://example.com/$a$)", "x", inline=[], tags={"a"}),
    Case("math-in-image-alt", "![$x$ plot](https://example.com/a.png)", inline=[], tags={"img"}),
    # odds and ends
    Case("empty", "", ""),
    Case("crlf", "a $x$\r\nb\r\n\r\nc", "a ⟨x⟩ b c", inline=["x"]),
    Case("control-chars", "a\x00b\x02c $x$", "abc ⟨x⟩", inline=["x"]),
    Case("lone-surrogate", "a\ud800b $x\udfff$", "a\ufffdb ⟨x\ufffd⟩", inline=["x\ufffd"]),
    Case("tabs", "-\tone $x$\n-\ttwo", "one ⟨x⟩ two", inline=["x"], tags={"li"}),
    Case(
        "comment-bare-image-url-is-a-link",
        "https://example.com/pic.png",
        tags={"a"},
        absent={"img"},
        options={"allow_images": False},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus(case):
    doc = render(case.source, **case.options)
    if case.text is not None:
        assert doc.text == _squash(case.text)
    if case.inline is not None:
        assert [_squash(t) for t in doc.inline_math()] == [_squash(t) for t in case.inline]
    if case.display is not None:
        assert [_squash(t) for t in doc.display_math()] == [_squash(t) for t in case.display]
    assert [_squash(e) for e in doc.errors()] == [_squash(e) for e in case.errors]
    assert case.tags <= doc.tags(), doc.result.html
    assert not case.absent & {n.tag for n in doc.outside_math()}, doc.result.html
    assert doc.result.cited_keys == case.cited


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 60


# --- Details the corpus does not show ----------------------------------------------------


def test_pipeline_version_is_an_int():
    assert isinstance(PIPELINE_VERSION, int)


def test_known_citation_links_to_the_paper():
    doc = render(r"\cite{conf/nips/RenHGS15}")
    link = doc.one("a", "cite")
    assert link.attrs["href"] == "/paper/conf/nips/RenHGS15/"
    assert link.attrs["title"] == "Faster R-CNN: Towards Real-Time"
    assert "cite-missing" not in link.classes


def test_missing_citation_links_to_adding_the_paper():
    doc = render(r"\cite{journals/corr/1611.03530}")
    link = doc.one("a", "cite-missing")
    assert link.attrs["href"] == "/papers/add/?key=journals/corr/1611.03530"
    assert link.attrs["title"] == "Not on ShortScience yet: add it"
    assert link.raw_text() == "journals/corr/1611.03530?"


def test_missing_citation_url_can_be_chosen():
    doc = render(r"\cite{x/y}", missing_citation_url=lambda key: f"/add?k={key}&x=1")
    assert doc.one("a", "cite-missing").attrs["href"] == "/add?k=x/y&x=1"


def test_without_a_resolver_every_citation_is_missing():
    doc = render(r"\cite{conf/nips/RenHGS15}", resolve_citations=None)
    assert doc.one("a", "cite").classes == {"cite", "cite-missing"}


def test_resolver_is_called_once_with_every_key():
    calls = []

    def spy(keys):
        calls.append(list(keys))
        return resolve(keys)

    render(r"\cite{b} \cite{DBLP:a, b} `\cite{c}` $\cite{d}$", resolve_citations=spy)
    assert calls == [["b", "a", "d"]]  # a citation inside a formula counts, one in code not


def test_resolver_is_not_called_without_citations():
    calls = []
    render("No citations here.", resolve_citations=lambda keys: calls.append(keys) or {})
    assert calls == []


def test_citation_inside_a_link_is_not_a_nested_link():
    doc = render(r"[read \cite{conf/nips/RenHGS15}](https://example.com)")
    link = doc.one("a")
    assert link.attrs["href"] == "https://example.com"
    assert "Ren et al., 2015" in link.raw_text()


def test_citation_label_and_title_are_escaped():
    evil = CitationTarget('/p/"><script>', "<b>Label</b>", 'Title" onmouseover="x')
    doc = render(r"\cite{k}", resolve_citations=lambda keys: {"k": evil})
    link = doc.one("a", "cite")
    assert link.attrs["href"] == '/p/"><script>'
    assert link.attrs["title"] == 'Title" onmouseover="x'
    assert link.raw_text() == "<b>Label</b>"
    assert "onmouseover" not in link.attrs and not doc.root.find_all("script")


def test_normalize_cite_key():
    assert normalize_cite_key("  DBLP:conf/nips/RenHGS15 ") == "conf/nips/RenHGS15"
    assert normalize_cite_key("dblp:x") == "x"
    assert normalize_cite_key("journals/corr/1611.03530") == "journals/corr/1611.03530"


def test_extract_citation_keys_skips_code_but_not_math():
    source = "\n".join(
        [
            r"\cite{DBLP:a, b} and \cite{b}",
            r"`\cite{in-code}` $\cite{in-math}$",
            "```",
            r"\cite{in-fence}",
            "```",
            r"\cite{c}",
        ]
    )
    assert extract_citation_keys(source) == ["a", "b", "in-math", "c"]


def test_headings_get_prefixed_unique_ids():
    doc = render("# Intro\n\n# Intro\n\n## The $\\alpha$ part")
    ids = [h.attrs.get("id") for h in doc.root.find_all() if h.tag in ("h3", "h4")]
    digest = ids[0].split("-")[1]
    assert re.fullmatch(r"[0-9a-f]{6}", digest)
    assert ids == [f"s-{digest}-intro", f"s-{digest}-intro_1", f"s-{digest}-the-alpha-part"]


def test_two_summaries_on_one_page_never_share_an_id():
    first = render("# Intro\n\nA claim.[^1]\n\n[^1]: Source.")
    second = render("# Intro\n\nAnother claim.[^1]\n\n[^1]: Elsewhere.")
    ids = [
        {n.attrs["id"] for n in doc.root.find_all() if "id" in n.attrs} for doc in (first, second)
    ]
    assert len(ids[0]) == 3 and len(ids[1]) == 3  # heading, footnote, back-reference
    assert not ids[0] & ids[1]


def test_a_summary_cannot_take_over_another_summarys_anchors():
    victim = render("Claim.[^1]\n\n[^1]: Source.\n\n# Intro")
    taken = sorted(n.attrs["id"] for n in victim.root.find_all() if "id" in n.attrs)
    attack = "\n\n".join(
        f'<h3 id="{i}">x</h3> <sup id="{i}">y</sup> <li id="{i}">z</li>' for i in taken
    )
    doc = render(attack)
    assert doc.root.find_all("h3") and doc.root.find_all("sup")  # the right page: tags kept
    assert not [n for n in doc.root.find_all() if n.attrs.get("id") in taken]


def test_heading_levels_are_capped_at_h6():
    doc = render("#### four\n\n##### five\n\n###### six")
    assert [n.tag for n in doc.root.find_all() if n.tag.startswith("h")] == ["h6", "h6", "h6"]


def test_fenced_code_is_highlighted_with_classes_not_styles():
    doc = render("```python\ndef f(x):\n    return x < 1\n```")
    block = doc.one("div", "highlight")
    assert block.find_all("pre") and block.find_all("code")
    assert {"k", "nf"} <= {c for n in block.find_all("span") for c in n.classes}
    assert not [n for n in doc.root.find_all() if "style" in n.attrs]
    assert "return x < 1" in block.raw_text()


def test_table_alignment_survives():
    doc = render("| a | b |\n|:--|--:|\n| 1 | 2 |")
    assert [th.attrs.get("align") for th in doc.root.find_all("th")] == ["left", "right"]


def test_footnote_ids_link_up_and_are_namespaced():
    doc = render("Claim.[^note]\n\n[^note]: Source.")
    ref = doc.one("a", "footnote-ref")
    item = doc.one("li")
    assert ref.attrs["href"] == "#" + item.attrs["id"]
    assert re.fullmatch(r"fn-[0-9a-f]{6}-note", item.attrs["id"])
    assert "rel" not in ref.attrs  # in-page links need no rel


def test_images_are_lazy_and_limited_in_width():
    doc = render('![a cat](https://example.com/cat.png "Cat")')
    image = doc.one("img")
    assert image.attrs == {
        "alt": "a cat",
        "src": "https://example.com/cat.png",
        "title": "Cat",
        "loading": "lazy",
        "decoding": "async",
        "class": "summary-img",
    }


def test_image_url_on_its_own_line_inside_a_paragraph_shows_the_image():
    doc = render("Here is the figure:\nhttps://example.com/a.webp\nand https://example.com/b.png")
    assert [i.attrs["src"] for i in doc.root.find_all("img")] == ["https://example.com/a.webp"]
    assert doc.text == "Here is the figure: and https://example.com/b.png"
    assert doc.one("a").attrs["href"] == "https://example.com/b.png"


def test_bare_image_url_shows_the_image():
    image = render("Look:\n\nhttps://example.com/fig/1.png\n\nNice.").one("img")
    assert image.attrs["src"] == "https://example.com/fig/1.png"
    assert image.attrs["alt"] == "1.png"


def test_links_get_rel_and_autolinks_keep_punctuation_outside():
    doc = render("[a](https://example.com/a) and (see https://example.com/b).")
    links = doc.root.find_all("a")
    assert [a.attrs["href"] for a in links] == ["https://example.com/a", "https://example.com/b"]
    assert all(a.attrs["rel"] == "nofollow ugc noopener" for a in links)
    assert doc.text == "a and (see https://example.com/b)."


def test_raw_html_link_gets_rel_and_loses_javascript():
    doc = render(
        '<A HREF="https://example.com">x</A> <a href="javascript:alert(1)" onclick="y">z</a>'
    )
    first, second = doc.root.find_all("a")
    assert first.attrs == {"href": "https://example.com", "rel": "nofollow ugc noopener"}
    assert second.attrs == {}


def test_math_never_lands_inside_attributes():
    doc = render('[x](https://example.com/$a$ "title $b$") ![$c$ <d>](https://example.com/i.png)')
    link, image = doc.one("a"), doc.one("img")
    assert link.attrs["href"] == "https://example.com/%24a%24"
    assert link.attrs["title"] == "title $b$"
    assert image.attrs["alt"] == "$c$ <d>"
    assert not doc.math()


def test_math_in_an_attribute_after_a_closing_angle_bracket_stays_text():
    doc = render(r'<abbr title="a > $z$ \cite{k}">q $w$</abbr>')
    abbr = doc.one("abbr")
    assert abbr.attrs == {"title": "a > $z$ \\cite{k}"}
    assert doc.math() == ["w"] and doc.result.cited_keys == ()


def test_typed_placeholder_cannot_inject():
    # Guess the shape of a placeholder: it carries a random nonce, so it stays text.
    for guess in ("ph0000000000000000n0q", "ph" + "a" * 16 + "n1q", "\x02wzxhzdk:0\x03"):
        doc = render(f"{guess} $x$ \\cite{{k}}")
        assert doc.math() == ["x"]
        assert guess.strip("\x02\x03") in doc.text


def test_escaped_source_inside_code_the_tokenizer_missed():
    # Code nested in a list item is found by Markdown only; its text must stay verbatim.
    doc = render("- item\n\n        $x$ \\$ `y` \\cite{k} [a] <b>\n")
    code = doc.one("pre")
    assert code.raw_text().strip() == "$x$ \\$ `y` \\cite{k} [a] <b>"
    assert not doc.math() and doc.result.cited_keys == ()


def test_math_error_shows_source_and_reason():
    doc = render(r"$\frac{1}{$")
    error = doc.one("span", "math-error")
    assert error.raw_text() == r"$\frac{1}{$"
    assert "KaTeX" in error.attrs["title"] or "error" in error.attrs["title"].lower()


def test_display_math_is_wrapped_for_scrolling():
    doc = render("$$x$$")
    wrapper = doc.one("span", "math-display")
    assert wrapper.find_all(class_="katex-display")


def test_katex_output_has_mathml_and_html():
    doc = render("$x$")
    assert doc.root.find_all(class_="katex-mathml") and doc.root.find_all(class_="katex-html")


def test_rendering_is_deterministic():
    source = (
        "# T $x$\n\nA \\cite{conf/nips/RenHGS15} [^1] https://example.com\n\n"
        "$$\\begin{aligned}a&=b\\end{aligned}$$\n\n```py\nx=1\n```\n\n[^1]: n"
    )
    first = render_markdown(source, resolve_citations=resolve)
    katex.clear_cache()
    second = render_markdown(source, resolve_citations=resolve)
    assert first == second


def test_rendering_is_thread_safe():
    sources = [f"# Doc {i}\n\n$x_{i}$ and $$\\sum_{{k={i}}} k$$ \\cite{{c{i}}}" for i in range(8)]
    expected = [render_markdown(s).html for s in sources]
    katex.clear_cache()
    results: dict[int, str] = {}

    def work(i):
        for _ in range(3):
            results[i] = render_markdown(sources[i]).html

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(8)] == expected


def test_non_string_input_does_not_raise():
    assert render_markdown(None).html == render_markdown("None").html  # type: ignore[arg-type]


def test_macros_serve_one_document_only():
    assert render(r"$\gdef\myop{X}$ and $\myop$").errors() == []
    assert render(r"$\myop$").errors() == [r"$\myop$"]


def test_markdown_crash_falls_back_to_plain_paragraphs(monkeypatch):
    def crash(function, args, *, seconds):
        raise RuntimeError("RecursionError: maximum recursion depth exceeded")

    monkeypatch.setattr("summaries.render_worker.run", crash)
    doc = render("> > > *deep* $x$\n\nnext \\cite{conf/nips/RenHGS15}")
    assert [p.tag for p in doc.root.find_all()][:1] == ["p"]
    assert doc.text == "> > > *deep* ⟨x⟩ next [Ren et al., 2015]"
    assert "could not be read" in doc.result.degraded


def test_math_survives_a_restarted_katex_context():
    before = render("$x$").math()
    with katex._lock:
        katex._discard_engine()
    katex.clear_cache()
    assert render("$x$").math() == before == ["x"]
