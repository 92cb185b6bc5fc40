"""What writers type, as GitHub and MathJax 2 read it, and what readers must get.

A corpus of the cases from the issue "Summaries render the way their writers wrote them":
GitHub-style Markdown in ML paper notes and MathJax-era LaTeX. Checked structurally, with
the helpers of test_rendering (math as ⟨tex⟩ / ⟦tex⟧ in the visible text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from summaries import katex
from summaries.rendering import CitationTarget, plain_text, render_markdown
from tests.summaries.test_rendering import Node, _squash, render


def shape(node: Node) -> str:
    """The element structure, e.g. "ul(li(ul(li)))", ignoring text, code and math insides."""

    def walk(n: Node) -> str:
        if "katex" in n.classes:
            return "math"
        if n.tag == "div" and "highlight" in n.classes:
            return "code"
        if n.tag == "pre":
            return "code"
        kids = [walk(c) for c in n.children if isinstance(c, Node) and c.tag not in _INLINE]
        return n.tag + (f"({','.join(kids)})" if kids else "")

    return ",".join(walk(c) for c in node.children if isinstance(c, Node) and c.tag not in _INLINE)


_INLINE = frozenset("a em strong code del span br sup input mark kbd sub b i s".split())


@dataclass
class Writer:
    id: str
    source: str
    shape: str | None = None  # block structure, see shape()
    text: str | None = None  # visible text, whitespace squashed
    inline: list[str] | None = None
    display: list[str] | None = None
    errors: list[str] = field(default_factory=list)
    cited: tuple[str, ...] | None = None


MARKDOWN = [
    Writer(
        "nested-2-spaces",
        "- parent\n  - child\n    - grandchild\n- next",
        "ul(li(ul(li(ul(li)))),li)",
    ),
    Writer(
        "nested-3-spaces-numbered", "1. one\n   1. sub\n   2. sub\n2. two", "ol(li(ol(li,li)),li)"
    ),
    Writer("nested-4-spaces", "- a\n    - b\n- c", "ul(li(ul(li)),li)"),
    Writer("list-after-paragraph", "Steps:\n1. train\n2. test", "p,ol(li,li)", "Steps: train test"),
    Writer("bullets-after-paragraph", "We find:\n- a\n- b", "p,ul(li,li)"),
    Writer(
        "table-after-paragraph",
        "Results:\n| a | b |\n|---|--:|\n| 1 | 2 |",
        "p,table(thead(tr(th,th)),tbody(tr(td,td)))",
    ),
    Writer(
        "paragraph-code-math-in-item",
        "- item\n\n  more text\n\n  ```python\n  x = 1\n  ```\n\n  $$\n  y = 2\n  $$\n- next",
        "ul(li(p,p,code,p),li(p))",
        display=["y = 2"],
    ),
    Writer(
        "fence-in-numbered-item",
        "1. train\n   ```\n   python train.py\n   ```\n2. test",
        "ol(li(p,code),li(p))",
    ),
    Writer("fence-in-quote", "> ```\n> quoted code $x$\n> ```", "blockquote(code)", inline=[]),
    Writer("fence-indented-1-3", "   ```\n   code\n   ```", "code", "code"),
    Writer("fence-with-attributes", '```python title="train.py"\nx = 1\n```', "code"),
    Writer("unclosed-fence", "Intro\n\n```\nrest of the text $x$", "p,code", inline=[]),
    Writer("strikethrough", "~~wrong~~ right", "p", "wrong right"),
    Writer("task-list", "- [ ] todo\n- [x] done", "ul(li,li)", "todo done"),
    Writer("paren-list", "1) first\n2) second", "ol(li,li)"),
    Writer("hard-break-backslash", "line one\\\nline two", "p", "line one line two"),
    Writer("email", "write to someone@example.org", "p"),
    Writer("hash-number-is-text", "#1 reason\n\n# Real", "p,h3", "#1 reason Real"),
    Writer("item-then-rule", "- item\n---", "ul(li),hr"),
    Writer("bullet-change", "* a\n+ b", "ul(li),ul(li)"),
    Writer("loose-list", "- a\n\n- b", "ul(li(p),li(p))"),
    Writer("quote-then-rule", "> quoted\n---", "blockquote(p),hr"),
    Writer("setext-over-two-lines", "A long\ntitle\n---", "h4"),
    Writer("lazy-continuation", "- an item\ncontinued here\n- next", "ul(li,li)"),
]

LATEX = [
    Writer("redefine-R", r"$\newcommand{\R}{\mathbb{R}} x \in \R$"),
    Writer("newcommand-shared", r"$\newcommand{\E}{\mathbb{E}}$ then $\E[x]$"),
    Writer("blank-line-in-display", "$$\na\n\nb\n$$", display=["a b"]),
    Writer(
        "redefine-many",
        r"$\newcommand{\N}{\mathbb{N}}\newcommand{\Z}{\mathbb{Z}}\newcommand{\P}{\Pr}"
        r"\newcommand{\argmax}{\operatorname{argmax}}\newcommand{\vec}[1]{\mathbf{#1}}"
        r"\newcommand{\set}[1]{\{#1\}}\N\Z\P\argmax\vec{x}\set{y}$",
    ),
    Writer("declare-operator", r"$\DeclareMathOperator*{\argmin}{arg\,min} \argmin_x f$"),
    Writer("declare-operator-plain", r"$\DeclareMathOperator{\Tr}{Tr}\Tr A$"),
    Writer("mbox", r"$a \mbox{ if } b$"),
    Writer("require", r"$\require{cancel}\cancel{x}$"),
    Writer("displaylines", r"$$\displaylines{a = b\\c = d}$$"),
    Writer("cancelto", r"$\cancelto{0}{x}$"),
    Writer("unicode", r"$\unicode{8364} + \unicode{x263A}$"),
    Writer("bbox", r"$\bbox[5px,border:2px solid red]{x}$"),
    Writer("style-class-cssid", r"$\style{color:red}{x} + \class{a}{y} + \cssId{b}{z}$"),
    Writer("align-in-single-dollars", r"$\begin{align} a &= b \end{align}$"),
    Writer("mathbbm", r"$\mathbbm{1}_{x>0} + \mathds{1}$"),
    Writer("textsc", r"$\textsc{Adam}$"),
    Writer("spaces-inside-dollars", "then $ \\alpha $ holds", text="then ⟨\\alpha⟩ holds"),
    Writer(
        "prices-stay-text",
        "costs $5 and $10, or $ 5 and $ 10",
        inline=[],
        text="costs $5 and $10, or $ 5 and $ 10",
    ),
    Writer("entities-in-math", "$a &lt; b &gt; c$", inline=["a < b > c"]),
    Writer(
        "dollar-in-text-in-math",
        r"$x = \text{if $y > 0$ holds}$",
        inline=[r"x = \text{if $y > 0$ holds}"],
    ),
    Writer("display-in-quote", "> $$\n> a = b\n> $$", display=["a = b"]),
    Writer("display-in-item", "- item\n  $$\n  a = b\n  $$\n- next", display=["a = b"]),
    Writer("escaped-dollar", r"\$5 and $x$", inline=["x"]),
    Writer("paren-bracket", r"\(a\) and \[b\]", inline=["a"], display=["b"]),
    Writer(
        "bare-align",
        "\\begin{align}\na &= b\n\\end{align}",
        display=["\\begin{align} a &= b \\end{align}"],
    ),
]

CITATIONS = [
    Writer(
        "citep",
        r"see \citep{conf/nips/RenHGS15}",
        text="see [Ren et al., 2015]",
        cited=("conf/nips/RenHGS15",),
    ),
    Writer(
        "citet-with-notes",
        r"\citet[see][p.~3]{conf/nips/RenHGS15}",
        text="[Ren et al., 2015]",
        cited=("conf/nips/RenHGS15",),
    ),
    Writer("cite-in-math", r"$f \cite{conf/nips/RenHGS15}$", cited=("conf/nips/RenHGS15",)),
]

PAPERS = {
    "conf/nips/RenHGS15": CitationTarget("/paper/conf/nips/RenHGS15/", "Ren et al., 2015", "F")
}


@pytest.mark.parametrize("case", MARKDOWN + LATEX + CITATIONS, ids=lambda c: c.id)
def test_writer_corpus(case):
    doc = render(
        case.source, resolve_citations=lambda keys: {k: PAPERS[k] for k in keys if k in PAPERS}
    )
    if case.shape is not None:
        assert shape(doc.root) == case.shape, doc.result.html
    if case.text is not None:
        assert doc.text == _squash(case.text)
    if case.inline is not None:
        assert [_squash(t) for t in doc.inline_math()] == [_squash(t) for t in case.inline]
    if case.display is not None:
        assert [_squash(t) for t in doc.display_math()] == [_squash(t) for t in case.display]
    assert doc.errors() == case.errors, doc.result.html
    if case.cited is not None:
        assert doc.result.cited_keys == case.cited
    assert doc.result.degraded == "" and doc.result.refusal == ""


def test_the_writer_corpus_is_large_enough():
    assert len(MARKDOWN + LATEX + CITATIONS) >= 50


def test_equations_are_numbered_and_referenced_in_text_and_math():
    doc = render(
        "As \\eqref{loss} shows, and eq. \\ref{loss}:\n\n$$\nL = -\\log p \\label{loss}\n$$\n\n"
        "\\begin{align}\na &= b \\label{two}\n\\end{align}\n\nso $\\eqref{two}$ and \\eqref{nope}."
    )
    links = doc.root.find_all("a", class_="eqref")
    assert [a.raw_text() for a in links] == ["(1)", "1"]
    target = links[0].attrs["href"][1:]
    displays = doc.root.find_all("span", class_="math-display")
    assert displays[0].attrs["id"] == target and displays[1].attrs["id"].endswith("-2")
    assert "(1)" in displays[0].raw_text() and "(2)" in displays[1].raw_text()
    assert "(2)" in doc.inline_math()[0] or "(2)" in doc.text
    assert doc.root.find_all("span", class_="eqref-missing")[0].raw_text() == "(??)"
    assert doc.errors() == []


def test_task_checkboxes_are_disabled_and_cannot_be_typed():
    doc = render('- [x] done\n\n<input type="checkbox" name="x"> <input type="checkbox" disabled>')
    boxes = doc.root.find_all("input")
    assert len(boxes) == 1 and "disabled" in boxes[0].attrs and "checked" in boxes[0].attrs
    assert "<input" in doc.text  # the typed ones are shown as text, not lost


def test_table_alignment_reaches_the_cells_and_the_stylesheet_lets_it_show():
    from pathlib import Path

    doc = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    assert [td.attrs.get("align") for td in doc.root.find_all("td")] == ["left", "center", "right"]
    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "site.css").read_text()
    assert '.prose td[align="right"]' in css and '.prose td[align="center"]' in css


# --- Issue 16, item 16: nothing a formula draws escapes its summary -------------------------

MOVES = [
    r"\kern-100em x",
    r"\mkern-1800mu x",
    r"\hspace{-50em} x",
    r"\raisebox{100em}{x}",
    r"\rule[-80em]{1em}{1em}",
    r"\def\k{\kern}\k-70em x",
    r"\newcommand{\away}[1]{\hspace{#1}} \away{-60em} x",
]


@pytest.mark.parametrize("tex", MOVES)
def test_formula_offsets_are_clamped(tex):
    html = render_markdown(f"[${tex}$](https://example.org)").html
    for name, value in re.findall(
        r"(margin-(?:left|right)|top|bottom|vertical-align):(-?[\d.]+)em", html
    ):
        value = float(value)
        assert -24 <= value <= 24, f"{name}:{value}em in {tex}"
        if name.startswith("margin"):
            assert value >= -2, f"{name}:{value}em in {tex}"


def test_the_stylesheet_keeps_a_summary_s_drawing_inside_it():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "site.css").read_text()
    assert re.search(r"\.summary-text \{[^}]*contain: paint", css)


# --- Plain text ------------------------------------------------------------------------------


def test_plain_text_is_what_a_reader_sees():
    katex.clear_cache()
    rendered = render_markdown(
        "# Method\n\nWe tile $S \\times S$ grids as in \\cite{conf/nips/RenHGS15}, with **bold** "
        "and `code`.\n\n$$\nL = x \\label{l}\n$$\n\n- [x] done\n\nSee \\eqref{l}.",
        resolve_citations=lambda keys: PAPERS,
    )
    text = plain_text(rendered.html)
    assert "We tile S \\times S grids as in [Ren et al., 2015], with bold and code." in text
    assert text.startswith("Method")
    assert "L = x" in text and "\\tag" not in text and "$" not in text
    assert "[x] done" in text and "See (1)." in text
    assert "**" not in text and "`" not in text and "\\cite" not in text


# --- Degraded renders are marked, huge ones refused ------------------------------------------


def test_a_rendering_that_would_be_too_large_is_refused_with_a_clear_message():
    rendered = render_markdown(" ".join(f"$x_{{{i}}}$" for i in range(15_000)))
    assert "at most 1,000 KB" in rendered.refusal and "formulas" in rendered.refusal
    assert render_markdown("$x$ " * 100).refusal == ""
