"""What users must not be able to do with the rendering pipeline: inject script, or hang it."""

from __future__ import annotations

import re
import threading
import time

import pytest

from summaries import katex, render_worker, rendering
from summaries.rendering import render_markdown
from tests import corpora
from tests.summaries.test_rendering import parse

# Markdown's time limit and KaTeX's budget, plus slack for a machine busy with other tests
# (and for starting a fresh render worker after one was stopped); bench/render_bench.py
# measures the real figures.
WORST_CASE_SECONDS = rendering.MARKDOWN_SECONDS + katex.TIME_BUDGET_SECONDS + 8
WORST_CASE_CPU_SECONDS = 2.5
HANG_SECONDS = 60

XSS_DIR = corpora.XSS

FORBIDDEN_TAGS = frozenset(
    "script style iframe frame frameset object embed applet form input button textarea "
    "select option base meta link title head body html template noscript audio video source "
    "track marquee isindex xml import bgsound param canvas portal dialog".split()
)
URL_ATTRIBUTES = frozenset(("href", "src", "action", "formaction", "poster", "background"))
# KaTeX draws some glyphs with inline SVG made of paths: the only SVG that may appear.
KATEX_SVG_TAGS = frozenset(("svg", "path", "line"))
# How a browser finds a URL's scheme: leading C0 controls and spaces, tabs and newlines
# anywhere are ignored; no scheme (a relative URL) is safe.
SCHEME_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
SAFE_SCHEMES = frozenset(("http", "https", "mailto"))
DANGEROUS_SCHEME_RE = re.compile(r"(?:java|vb)script:|data:|livescript:|mocha:", re.IGNORECASE)


def _xss_lines() -> list[tuple[str, str]]:
    lines = []
    for path in sorted(XSS_DIR.glob("*.txt")):
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
        ):
            if line.strip():
                lines.append((f"{path.stem[:12]}-{number}", line))
    return lines


XSS_LINES = _xss_lines()


def assert_harmless(html: str) -> None:
    root = parse(html)
    for node in root.find_all():
        in_katex = node.inside("katex")
        assert node.tag not in FORBIDDEN_TAGS, f"<{node.tag}> in {html}"
        if node.tag in KATEX_SVG_TAGS or node.tag == "math" or node.inside("katex-mathml"):
            assert in_katex, f"<{node.tag}> outside KaTeX output in {html}"
        for name, value in node.attrs.items():
            assert not name.lower().startswith("on"), f"{name}= on <{node.tag}> in {html}"
            assert name.lower() not in ("srcdoc", "formaction", "xlink:href", "xmlns:xlink")
            if name == "style":
                assert in_katex, f"style= outside KaTeX output in {html}"
            cleaned = re.sub(r"[\s\x00-\x1f]+", "", value or "")
            assert not DANGEROUS_SCHEME_RE.match(cleaned), f'{name}="{value}" in {html}'
            if name.lower() in URL_ATTRIBUTES:
                scheme = SCHEME_RE.match(cleaned)
                assert not scheme or scheme.group(1).lower() in SAFE_SCHEMES, f"{name}={value!r}"


def test_the_xss_corpus_is_there():
    assert len(XSS_LINES) > 400


@pytest.mark.parametrize("line", [line for _id, line in XSS_LINES], ids=[i for i, _l in XSS_LINES])
def test_xss_payload_is_harmless(line):
    for options in ({}, {"allow_headings": False, "allow_images": False}):
        assert_harmless(render_markdown(line, **options).html)


@pytest.mark.parametrize(
    "source",
    [
        "[a](javascript:alert(1))",
        "[a](JaVaScRiPt:alert(1))",
        "[a](&#106;avascript:alert(1))",
        "[a](java\tscript:alert(1))",
        "[a](vbscript:msgbox(1))",
        "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<javascript:alert(1)>",
        "[a][r]\n\n[r]: javascript:alert(1)",
        '<a href="javascript&colon;alert(1)">a</a>',
        '<img src=x onerror="alert(1)">',
        "<svg><script>alert(1)</script></svg>",
        '<svg onload="alert(1)"><path d="M0"/></svg>',
        "<math><mtext><img src=x onerror=alert(1)></mtext></math>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        '<p title="$x$" onclick="alert(1)">y</p>',
        "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
        '<base href="https://evil.example/">',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
        '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
        '<form action="javascript:alert(1)"><button formaction="javascript:x">x</button></form>',
        "[$x$](javascript:alert(1))",
        "[x]($javascript:alert(1)$)",
        "[x](\\(javascript:alert(1)\\))",
        '![x](" onerror="alert(1))',
        "`<script>alert(1)</script>`",
        "```html\n<script>alert(1)</script>\n```",
        "ph0123456789abcdefn0q<script>",
        "[a](javascript:123)",
        "<javascript:123>",
        "[a][r]\n\n[r]: JAVASCRIPT:0",
    ],
    ids=lambda s: re.sub(r"\W+", "-", s)[:40],
)
def test_classic_injections_are_harmless(source):
    assert_harmless(render_markdown(source).html)


@pytest.mark.parametrize("source", ["[a](/\\evil.example/x)", "![a](/\\evil.example/x.png)"])
def test_backslash_links_cannot_point_off_site(source):
    """Browsers read "/\\host" as "//host": the link loses its address, the image is its text."""
    html = render_markdown(source).html
    assert html.startswith("<p>") and ">a<" in html
    assert "href=" not in html and "<img" not in html
    assert "href=" in render_markdown("[a](/paper/x/)").html


# --- KaTeX is sandboxed and bounded -------------------------------------------------------

KATEX_ATTACKS = {
    "href": r"$\href{javascript:alert(1)}{click}$",
    "url": r"$\url{javascript:alert(1)}$",
    "html-data": r"$\htmlData{onclick=alert(1)}{x}$",
    "html-attrs": r"$\htmlStyle{background:url(javascript:alert(1))}{x}$",
    "html-class": r"$\htmlClass{evil}{x}\htmlId{main}{y}$",
    "includegraphics": r"$\includegraphics[height=1em]{https://evil.example/x.png}$",
    "def-loop": r"$\def\a{\a}\a$",
    "def-bomb": r"$\def\a{\b\b}\def\b{\c\c}\def\c{\d\d}\def\d{xxxxxxxx}\a\a\a\a\a\a\a\a$",
    "gdef-bomb": r"$\gdef\x#1{#1#1#1#1}\x{\x{\x{\x{\x{\x{\x{\x{y}}}}}}}}$",
    "rule": r"$\rule{100000em}{100000em}$",
    "kern": r"$\kern100000em\hspace{100000em}x$",
    "underbrace-nest": "$" + r"\underbrace{" * 400 + "x" + "}_{a}" * 400 + "$",
    "sqrt-nest": "$" + r"\sqrt{" * 3000 + "x" + "}" * 3000 + "$",
    "script-text": r"$\text{<script>alert(1)</script>}$",
    "mathml-escape": r"$\text{</annotation></semantics></math><img src=x onerror=alert(1)>}$",
}


@pytest.mark.parametrize("source", KATEX_ATTACKS.values(), ids=KATEX_ATTACKS.keys())
def test_katex_attack_is_harmless_and_bounded(source):
    started = time.monotonic()
    html = render_markdown(source).html
    assert time.monotonic() - started < WORST_CASE_SECONDS
    assert_harmless(html)
    root = parse(html)
    for node in root.find_all():
        assert "evil" not in node.classes and node.attrs.get("id") != "main"
        assert not any(k.startswith("data-") for k in node.attrs)
        assert "https://evil.example/x.png" not in (node.attrs.get("src") or "")
    assert not [n for n in root.find_all() if n.tag in ("img", "a") and n.inside("katex")]


def test_huge_formula_becomes_an_error_not_a_megabyte():
    source = "$" + "x+" * 6000 + "x$"
    rendered = render_markdown(source)
    assert len(rendered.html) < 100_000
    assert parse(rendered.html).find_all(class_="math-error")


def test_slow_formula_is_cut_off_by_the_time_budget():
    slow = "x+" * 4000 + "x"  # well under the length limit, yet slow to lay out
    started = time.monotonic()
    results = katex.render_math([(slow, False), ("y", False)] * 20, time_budget=0.2)
    assert time.monotonic() - started < 3
    assert len(results) == 40
    assert any(r.html is None for r in results)
    # The context is still usable afterwards.
    katex.clear_cache()
    assert katex.render_math([("z^2", False)])[0].html


def test_many_formulas_go_to_katex_in_one_call(monkeypatch):
    katex.clear_cache()
    katex.startup_seconds()
    calls = []
    racer = katex._engine.racer
    original = racer.call

    def counting_call(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(racer, "call", counting_call)
    source = " ".join(f"$x_{{{i}}}$" for i in range(50)) + "\n\n$$y$$"
    html = render_markdown(source).html
    assert calls == ["__ssRender"]
    assert len(parse(html).find_all(class_="katex")) == 51


# --- Pathological Markdown cannot hang a request --------------------------------------------

PATHOLOGICAL = {
    "backticks": "`" * 10_000,
    "backtick-groups": " ".join("`" * i for i in range(1, 440)),
    "brackets": "[" * 30_000 + "]" * 30_000,
    "link-openers": "[a](" * 20_000,
    "bracket-words": "[x " * 30_000,
    "image-openers": "![" * 30_000,
    "angle-tags": "<a " * 30_000,
    "autolink-openers": "<http://" * 12_000,
    "nested-quotes": ">" * 20_000 + " x",
    "nested-lists": "\n".join("  " * i + "- x" for i in range(300)),
    "nested-lists-4": "\n".join("    " * i + "* x" for i in range(220)),
    "dollars": "$a" * 40_000,
    "lone-dollars": "$5 " * 30_000,
    "double-dollars": "$$" * 40_000,
    "paren-openers": "\\(" * 40_000,
    "bracket-math-openers": "\\[" * 40_000,
    "env-openers": "\\begin{equation}" * 6_000,
    "cite-openers": "\\cite{" * 15_000,
    "tilde-fences": "~~~a\n" * 20_000,
    "backtick-fences": "```a\n" * 20_000,
    "emphasis": "*_" * 40_000,
    "stars": "**a " * 25_000,
    "footnotes": "\n".join(f"[^{i}]: x[^{i + 1}]" for i in range(2_000)),
    "table": "|a" * 5_000 + "\n" + "|-" * 5_000 + "\n" + "|b" * 5_000,
    "html-comments": "<!--" * 20_000,
    "entities": "&#" * 40_000,
    "headings": "#" * 50_000,
    "long-line": "a" * 100_000,
    "many-formulas": "$x$ " * 25_000,
    "list-items": "- a\n" * 25_000,
    "links": "[a](b) " * 14_000,
    "emphasis-words": "*a* " * 25_000,
    "nested-divs": "<div>" * 20_000,
    "nested-bold": "<b>" * 25_000,
    "rules": "---\n\n" * 20_000,
    "many-headings": "# a\n" * 25_000,
    "footnote-refs": "[^a]" * 20_000 + "\n\n[^a]: x",
    "table-rows": "|a|b|\n|-|-|\n" + "|a|b|\n" * 16_000,
    "code-spans": "`a` " * 25_000,
    "escapes": "\\*" * 50_000,
    "bare-urls": "http://a.co " * 8_000,
}


@pytest.mark.parametrize("source", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_renders_in_bounded_time(source):
    assert len(source) <= 101_000
    # The work is measured as CPU time (this process's and its render worker's), which a
    # machine busy with other tests does not inflate; the wall clock only catches hangs.
    worker_cpu, started_cpu = render_worker.cpu_seconds, time.process_time()
    started = time.monotonic()
    html = render_markdown(source).html
    elapsed = time.monotonic() - started
    cpu = time.process_time() - started_cpu + render_worker.cpu_seconds - worker_cpu
    assert cpu < WORST_CASE_CPU_SECONDS, f"took {cpu:.1f}s of CPU"
    assert elapsed < HANG_SECONDS, f"took {elapsed:.1f}s"
    assert html.strip()
    assert_harmless(html)


def test_markdown_that_runs_too_long_falls_back_to_plain_paragraphs(monkeypatch):
    monkeypatch.setattr(
        rendering, "MARKDOWN_SECONDS", 0
    )  # its worker is killed (poll rounds 1e-6 up to 1 ms)
    started = time.monotonic()
    rendered = render_markdown("First *para* with $x$ and <b>.\n\nSecond \\cite{k}.")
    assert time.monotonic() - started < 3
    root = parse(rendered.html)
    assert [p.raw_text() for p in root.find_all("p")][1] == "Second [k?]."
    assert "First *para* with" in root.raw_text() and "<b>." in root.raw_text()
    assert root.find_all(class_="katex") and not root.find_all("b")
    assert rendered.cited_keys == ("k",)
    assert "took too long" in rendered.degraded
    monkeypatch.undo()
    for _ in range(60):  # a fresh worker replaces the stopped one (slowly on a busy machine)
        again = render_markdown("*fine*")
        if not again.degraded:
            break
        time.sleep(0.5)
    assert parse(again.html).find_all("em") and again.degraded == ""


def test_no_thread_is_ever_interrupted_to_bound_a_render():
    source = (rendering.__file__, render_worker.__file__)
    for path in source:
        text = open(path, encoding="utf-8").read()
        assert "SetAsyncExc" not in text and "ctypes" not in text
    render_markdown("# a $x$")
    assert not [t for t in threading.enumerate() if "watchdog" in t.name]


def test_nothing_typed_is_lost_on_pathological_input():
    source = "[x " * 30_000
    root = parse(render_markdown(source).html)
    assert root.raw_text().count("[") == 30_000
