"""Server-side math rendering: the vendored KaTeX running in an embedded V8 (mini-racer).

One V8 context per process, created on first use, shared by all threads behind a lock,
replaced when it fails and after a fork. A whole document's formulas go to V8 in one
call; the JavaScript side gives up on the rest of a batch when the time budget is spent,
and a V8 timeout stops a single formula that never returns.
"""

from __future__ import annotations

import asyncio
import atexit
import html
import itertools
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

KATEX_JS = Path(__file__).resolve().parent.parent / "static" / "vendor" / "katex" / "katex.min.js"

# Limits for one document; a normal summary spends a few milliseconds in KaTeX.
TIME_BUDGET_SECONDS = 0.6
MAX_FORMULA_CHARS = 10_000
MAX_FORMULA_OUTPUT_CHARS = 1_000_000
MAX_DOCUMENT_OUTPUT_CHARS = 3_000_000
V8_MEMORY_LIMIT_BYTES = 512 * 1024 * 1024
# Previews re-render the same formulas on every keystroke; keep recent results.
CACHE_ENTRIES = 4096
CACHE_MAX_OUTPUT_CHARS = 64_000
# A document that defines macros renders as a whole: its formulas depend on each other.
_DEFINES_MACROS_RE = re.compile(
    r"\\(?:[gex]?def|let|futurelet|global|newcommand|renewcommand|providecommand)(?![A-Za-z])"
)

# trust:false and the size/expansion limits are what make \href, \url, \htmlData,
# \includegraphics, \def loops and huge \rule harmless; globalGroup and the shared
# macros object let \newcommand in one formula serve the rest of the document, as
# MathJax did on the original site.
_JS_DRIVER = r"""
var __ss = {batch: 0, items: [], results: [], macros: {}};
// What MathJax 2 accepted on the original site and KaTeX lacks, approximated.
var __ssMacros = {
  "\\mbox": "\\text{#1}", "\\textsc": "\\text{#1}",
  "\\displaylines": "\\begin{gathered}#1\\end{gathered}",
  "\\cancelto": "\\overset{#1}{\\cancel{#2}}",
  "\\bbox": "\\boxed{#1}",
  "\\mathbbm": "\\mathbb{#1}", "\\mathds": "\\mathbb{#1}", "\\mathbbb": "\\mathbb{#1}"
};
function __ssFreshMacros() {
  var macros = {};
  for (var name in __ssMacros) { macros[name] = __ssMacros[name]; }
  return macros;
}
function __ssRender(batch, items, budgetMs, maxOutput) {
  __ss = {batch: batch, items: items, results: [], macros: __ssFreshMacros()};
  return __ssResume(batch, 0, budgetMs, maxOutput);
}
function __ssOne(tex, display) {
  // MathJax let \newcommand redefine what exists, and align sit inside single dollars.
  for (var attempt = 0; attempt < 8; attempt++) {
    try {
      return katex.renderToString(tex, {
        displayMode: display, output: "htmlAndMathml", throwOnError: true,
        trust: false, strict: "ignore", maxSize: 20, maxExpand: 1000,
        globalGroup: true, macros: __ss.macros
      });
    } catch (e) {
      var message = String((e && e.message) || e);
      var redefined = /attempting to redefine (\\[A-Za-z@]+|\\.)/.exec(message);
      if (redefined) {
        var name = redefined[1];
        var plain = tex.split("\\newcommand{" + name + "}").join("\\renewcommand{" + name + "}")
          .split("\\newcommand" + name).join("\\renewcommand" + name);
        if (plain !== tex) { tex = plain; continue; }
      }
      if (!display && /only in display mode/.test(message)) { display = true; continue; }
      throw e;
    }
  }
  throw new Error("Formula could not be rendered");
}
function __ssResume(batch, start, budgetMs, maxOutput) {
  if (__ss.batch !== batch) { return []; }
  var t0 = Date.now();
  for (var i = start; i < __ss.items.length; i++) {
    if (Date.now() - t0 > budgetMs) { break; }
    var item = __ss.items[i], html;
    try {
      html = __ssOne(item[0], item[1]);
    } catch (e) {
      __ss.results.push([0, String((e && e.message) || e)]);
      continue;
    }
    __ss.results.push(html.length > maxOutput ? [0, "Formula too large to display"] : [1, html]);
  }
  return __ss.results.slice(start);
}
function __ssDone(batch, start) {
  return __ss.batch === batch ? __ss.results.slice(start) : [];
}
"""


# MathJax-era commands that need more than a macro: rewritten before KaTeX sees them.
_REQUIRE_RE = re.compile(r"\\require\s*\{[^{}]*\}")
_UNICODE_RE = re.compile(r"\\unicode\s*\{\s*(0x[0-9a-fA-F]{1,6}|x[0-9a-fA-F]{1,6}|\d{1,7})\s*\}")
_BBOX_OPTIONS_RE = re.compile(r"\\bbox\s*\[[^\]{}]*\]")
_STYLE_COMMAND_RE = re.compile(r"\\(?:style|class|cssId)\s*\{[^{}]*\}")  # keep the content
_DECLARE_OPERATOR_RE = re.compile(
    r"\\DeclareMathOperator(\*?)\s*(?:\{\s*(\\[A-Za-z]+)\s*\}|(\\[A-Za-z]+))\s*\{"
)
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|apos|nbsp|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


def adapt_tex(tex: str) -> str:
    """What MathJax 2 read and KaTeX would refuse, in KaTeX's terms (see also _JS_DRIVER)."""
    if "&" in tex:  # pasted from a web page: "a &lt; b" means "a < b"
        tex = _ENTITY_RE.sub(lambda m: html.unescape(m.group()), tex)
    if "\\" not in tex:
        return tex
    tex = _REQUIRE_RE.sub("", tex)
    tex = _UNICODE_RE.sub(_unicode_character, tex)
    tex = _BBOX_OPTIONS_RE.sub(r"\\bbox", tex)
    tex = _STYLE_COMMAND_RE.sub("", tex)
    return _declare_operators(tex)


def _declare_operators(tex: str) -> str:
    """\\DeclareMathOperator*{\\op}{text} as \\newcommand{\\op}{\\operatorname*{text}}."""
    out, position = [], 0
    for m in _DECLARE_OPERATOR_RE.finditer(tex):
        if m.start() < position:
            continue
        depth, end = 1, m.end()
        while end < len(tex) and depth:
            depth += {"{": 1, "}": -1}.get(tex[end], 0)
            end += 1
        if depth:
            break
        name = m.group(2) or m.group(3)
        out.append(tex[position : m.start()])
        out.append(f"\\newcommand{{{name}}}{{\\operatorname{m.group(1)}{{{tex[m.end() : end]}}}")
        position = end
    out.append(tex[position:])
    return "".join(out)


def _unicode_character(m: re.Match[str]) -> str:
    value = m.group(1)
    code = int(value.lstrip("x").removeprefix("0x"), 16) if "x" in value else int(value)
    if not 0x20 <= code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return ""
    return "\\text{" + chr(code).replace("\\", "") + "}"


# KaTeX turns \kern, \mkern, \hspace, \raisebox and \rule offsets (also through macros) into
# inline styles; clamped here so no formula can move far outside its own box.
_STYLE_LENGTH_RE = re.compile(
    r"(?<![\w-])(margin-left|margin-right|top|bottom|vertical-align):(-?\d+(?:\.\d+)?)em"
)
_LENGTH_LIMITS = {
    "margin-left": (-2.0, 20.0),
    "margin-right": (-2.0, 20.0),
    "top": (-24.0, 24.0),
    "bottom": (-24.0, 24.0),
    "vertical-align": (-24.0, 24.0),
}


def clamp_lengths(markup: str) -> str:
    def clamp(m: re.Match[str]) -> str:
        low, high = _LENGTH_LIMITS[m.group(1)]
        value = min(high, max(low, float(m.group(2))))
        return f"{m.group(1)}:{value:g}em"

    return _STYLE_LENGTH_RE.sub(clamp, markup)


@dataclass(frozen=True)
class MathResult:
    html: str | None  # KaTeX markup, or None when the formula could not be rendered
    error: str | None = None  # why not, for the error marker's tooltip
    cacheable: bool = True  # False for outcomes of time and engine trouble


class _Engine:
    """The V8 context with KaTeX loaded, plus the pid that created it (forks need their own)."""

    def __init__(self) -> None:
        from py_mini_racer import MiniRacer

        started = time.perf_counter()
        self.pid = os.getpid()
        self.racer = _create_outside_event_loop(MiniRacer)
        try:
            self.racer.set_hard_memory_limit(V8_MEMORY_LIMIT_BYTES)
            self.racer.eval(KATEX_JS.read_text(encoding="utf-8"))
            self.racer.eval(_JS_DRIVER)
        except BaseException:
            self.close()
            raise
        self.startup_seconds = time.perf_counter() - started

    def close(self) -> None:
        try:
            self.racer.close()
        except Exception:  # closing a broken context must not fail a render
            logger.debug("closing the KaTeX context failed", exc_info=True)


def _create_outside_event_loop(factory):
    """mini-racer binds to the caller's running asyncio loop, if any; give it its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return factory()
    box: dict[str, object] = {}

    def create() -> None:
        try:
            box["value"] = factory()
        except BaseException as exc:  # re-raised in the calling thread
            box["error"] = exc

    thread = threading.Thread(target=create, name="katex-init")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]


_lock = threading.Lock()
_batch_numbers = itertools.count(1)
_engine: _Engine | None = None
_broken_until = 0.0  # after a failed start, don't retry on every request


def _get_engine() -> _Engine | None:
    global _engine, _broken_until
    if _engine is not None and _engine.pid == os.getpid():
        return _engine
    _engine = None  # a context inherited through fork() is unusable in the child
    if time.monotonic() < _broken_until:
        return None
    try:
        _engine = _Engine()
    except Exception:  # math then shows as its escaped source
        logger.exception("could not start KaTeX")
        _broken_until = time.monotonic() + 30
        return None
    return _engine


def _discard_engine() -> None:
    global _engine
    if _engine is not None and _engine.pid == os.getpid():
        _engine.close()
    _engine = None


@atexit.register
def _close_at_exit() -> None:
    # A context left open at interpreter exit can hang mini-racer's teardown.
    with _lock:
        _discard_engine()


def startup_seconds() -> float | None:
    """Start the KaTeX context now if needed; return how long its start-up took."""
    with _lock:
        engine = _get_engine()
        return engine.startup_seconds if engine else None


def render_math(
    formulas: Sequence[tuple[str, bool]], *, time_budget: float = TIME_BUDGET_SECONDS
) -> list[MathResult]:
    """Render (tex, display_mode) pairs in one V8 call; one MathResult per formula, in order.

    Never raises: formulas that fail, are too long, or run out of time get an error result.
    """
    cacheable = not any(_DEFINES_MACROS_RE.search(tex) for tex, _display in formulas)
    results: list[MathResult | None] = [None] * len(formulas)
    with _lock:
        # Without macro definitions formulas are independent: render each distinct one once.
        todo: dict[tuple, list[int]] = {}
        for index, (tex, display) in enumerate(formulas):
            key = (tex, bool(display))
            if len(tex) > MAX_FORMULA_CHARS:
                results[index] = MathResult(None, "Formula too long to display")
            elif cacheable and key in _cache:
                results[index] = _cache[key]
                _cache.move_to_end(key)
            else:
                todo.setdefault(key if cacheable else (*key, index), []).append(index)
        if todo:
            outcomes = _run_batch([[adapt_tex(key[0]), key[1]] for key in todo], time_budget)
            for (key, indexes), outcome in zip(todo.items(), outcomes, strict=True):
                for index in indexes:
                    results[index] = outcome
                if cacheable and outcome.cacheable:
                    _remember(key, outcome)
    return _within_document_limit(results)


def _within_document_limit(results: list[MathResult | None]) -> list[MathResult]:
    """Past MAX_DOCUMENT_OUTPUT_CHARS of markup, the remaining formulas stay as source."""
    limited, total = [], 0
    for result in results:
        if result is None:
            result = MathResult(None, "Not rendered", False)
        total += len(result.html or "")
        if total > MAX_DOCUMENT_OUTPUT_CHARS:
            result = MathResult(None, "Too much math in one document to display", False)
        limited.append(result)
    return limited


_cache: OrderedDict[tuple[str, bool], MathResult] = OrderedDict()


def _remember(key: tuple[str, bool], result: MathResult) -> None:
    if len(result.html or "") <= CACHE_MAX_OUTPUT_CHARS:
        _cache[key] = result
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _run_batch(batch: list[list], time_budget: float) -> list[MathResult]:
    from py_mini_racer import JSTimeoutException

    done: list[MathResult] = []
    engine = _get_engine()
    if engine is None:
        return [MathResult(None, "Math rendering is unavailable", False)] * len(batch)
    deadline = time.monotonic() + time_budget
    batch_number = next(_batch_numbers)  # so results never come from an earlier batch
    try:
        while len(done) < len(batch):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            budget_ms = int(remaining * 1000)
            try:
                if done:
                    chunk = engine.racer.call(
                        "__ssResume",
                        batch_number,
                        len(done),
                        budget_ms,
                        MAX_FORMULA_OUTPUT_CHARS,
                        timeout_sec=remaining + 0.25,
                    )
                else:
                    chunk = engine.racer.call(
                        "__ssRender",
                        batch_number,
                        batch,
                        budget_ms,
                        MAX_FORMULA_OUTPUT_CHARS,
                        timeout_sec=remaining + 0.25,
                    )
            except JSTimeoutException:
                # V8 was stopped inside one formula: keep what finished, blame that one.
                engine.racer.eval("0")
                done.extend(_as_results(engine.racer.call("__ssDone", batch_number, len(done))))
                if len(done) < len(batch):
                    done.append(MathResult(None, "Formula took too long to render", False))
                continue
            if not chunk:
                break
            done.extend(_as_results(chunk))
    except Exception:  # a dead or exhausted context is replaced next time
        logger.exception("KaTeX context failed; it will be restarted")
        _discard_engine()
    missing = len(batch) - len(done)
    return done + [MathResult(None, "Out of time rendering math", False)] * missing


def _as_results(raw: list) -> list[MathResult]:
    return [
        MathResult(clamp_lengths(value), None) if ok else MathResult(None, value)
        for ok, value in raw
    ]
