"""Reading and writing BibTeX: entries in, normalized paper metadata out.

A pure module (no database access). ``parse_bibtex`` never raises on bad input: every
entry it cannot use becomes an ``EntryError`` with the line where the entry starts.

Field values are "decoded": @string macros and ``#`` concatenations are resolved, LaTeX
is turned into Unicode (``{\\"u}`` -> ``ü``, ``--`` -> ``–``, ``~`` -> space), protective
braces are dropped and whitespace is collapsed; ``$...$`` math is kept verbatim. Fields
that hold identifiers (``url``, ``doi``, ``eprint``, ...) are only unescaped
(``\\_`` -> ``_``), never typographically transformed. ``entry_to_bibtex`` is the inverse:
its output parses back to the same decoded fields.
"""

from __future__ import annotations

import datetime
import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote

import bibtexparser
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
    String,
)

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ParsedEntry:
    key: str
    entry_type: str
    title: str
    authors: list[str]
    year: int | None
    venue_key: str
    venue_name: str
    doi: str
    arxiv_id: str
    urls: list[str]
    keywords: list[str]
    abstract: str
    published: datetime.date | None
    fields: dict[str, str]
    raw: str
    line: int
    # True when the author list ended with "and others".
    et_al: bool = False


@dataclass(slots=True)
class EntryError:
    key: str | None
    line: int
    message: str


@dataclass(slots=True)
class ParseResult:
    entries: list[ParsedEntry] = field(default_factory=list)
    errors: list[EntryError] = field(default_factory=list)


# ---------------------------------------------------------------------------
# LaTeX -> Unicode

_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
# Only values containing one of these need the (slower) decoder.
_NEEDS_DECODING = re.compile(r"[\\{}~]|--|``|''")
_DECODER_SPECIAL = re.compile(r"[\\{}$~`'\-]")
_CONTROL_WORD = re.compile(r"[A-Za-z]+")

_COMBINING_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
    "t": "\u0361",
}
# What an accent command with an empty argument (``\~{}``) prints.
_SPACING_ACCENTS = {
    "'": "\u00b4",
    "`": "`",
    "^": "^",
    '"': "\u00a8",
    "~": "~",
    "=": "\u00af",
    ".": "\u02d9",
}
_SYMBOL_ACCENTS = frozenset("'`^\"~=.")
_LETTER_ACCENTS = frozenset("uvHckrdbt")

_SYMBOLS = {
    "ss": "ß",
    "SS": "SS",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "dj": "đ",
    "DJ": "Đ",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "pounds": "£",
    "textsterling": "£",
    "euro": "€",
    "texteuro": "€",
    "S": "§",
    "textsection": "§",
    "P": "¶",
    "textparagraph": "¶",
    "dag": "†",
    "ddag": "‡",
    "textdagger": "†",
    "textdaggerdbl": "‡",
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "guillemotleft": "«",
    "guillemotright": "»",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textunderscore": "_",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textdegree": "°",
    "textperiodcentered": "·",
    "textbullet": "•",
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "slash": "/",
    "hyphen": "-",
    "quad": " ",
    "qquad": " ",
    "TeX": "TeX",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2ε",
    "BibTeX": "BibTeX",
    "XeTeX": "XeTeX",
    # Math commands that people also write outside $...$ in titles.
    "times": "×",
    "pm": "±",
    "infty": "∞",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "approx": "≈",
    "rightarrow": "→",
    "to": "→",
    "leftarrow": "←",
    "cdot": "·",
    "ell": "ℓ",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}
# Control symbols (a backslash and one non-letter).
_CONTROL_SYMBOLS = {
    "&": "&",
    "%": "%",
    "_": "_",
    "#": "#",
    "$": "$",
    "{": "{",
    "}": "}",
    "\\": " ",
    " ": " ",
    "\n": " ",
    "\t": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    "-": "",
    "/": "",
    "@": "",
}
_QUOTING_COMMANDS = frozenset({"enquote", "mkbibquote", "textquote"})
_VERBATIM_ARGUMENT_COMMANDS = frozenset({"url", "doi", "nolinkurl", "path"})
_DISCARDED_ARGUMENT_COMMANDS = frozenset(
    {"hspace", "vspace", "label", "index", "footnote", "thanks", "cite", "ref"}
)


def _collapse(text: str) -> str:
    if "\n" in text or "\t" in text or "\r" in text or "  " in text:
        text = _WHITESPACE.sub(" ", text)
    return text.strip(" \t\n\r\f\v")


# As in bibtexparser's splitter, a brace or quote right after a backslash is escaped: the
# same rule everywhere keeps our reading of a value consistent with where it ends.
_UNESCAPED_BRACE = re.compile(r"(?<!\\)[{}]")
_UNESCAPED_BRACE_OR_QUOTE = re.compile(r'(?<!\\)[{}"]')


def _matching_brace(text: str, start: int) -> int:
    """Index of the brace closing the one at ``start``, or -1."""
    depth = 0
    for match in _UNESCAPED_BRACE.finditer(text, start):
        if match.group() == "{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return match.start()
    return -1


def _math_end(text: str, start: int) -> int:
    """End (exclusive) of the ``$...$`` or ``$$...$$`` span opened at ``start``, or -1."""
    delimiter = "$$" if text.startswith("$$", start) else "$"
    i = start + len(delimiter)
    while True:
        i = text.find(delimiter, i)
        if i < 0:
            return -1
        if text[i - 1] != "\\":
            return i + len(delimiter)
        i += 1


def _read_argument(text: str, i: int) -> tuple[str, int]:
    """The argument of a command starting at ``i``: a group, a control sequence or a char."""
    n = len(text)
    if i >= n:
        return "", i
    ch = text[i]
    if ch == "{":
        end = _matching_brace(text, i)
        if end < 0:
            return text[i + 1 :], n
        return text[i + 1 : end], end + 1
    if ch == "\\":
        match = _CONTROL_WORD.match(text, i + 1)
        end = match.end() if match else min(i + 2, n)
        return text[i:end], end
    if ch == "}":
        return "", i
    return ch, i + 1


def _skip_spaces(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in " \t\n\r":
        i += 1
    return i


def _accent(mark: str, argument: str) -> str:
    base = _collapse(_decode(argument)) if argument else ""
    if not base:
        return _SPACING_ACCENTS.get(mark, "")
    first = {"ı": "i", "ȷ": "j"}.get(base[0], base[0])
    return unicodedata.normalize("NFC", first + _COMBINING_ACCENTS[mark]) + base[1:]


def _decode_command(text: str, i: int, out: list[str]) -> int:
    """Decode the command whose backslash is at ``i``; return the index after it."""
    n = len(text)
    i += 1
    if i >= n:
        out.append("\\")
        return i
    ch = text[i]
    match = _CONTROL_WORD.match(text, i)
    if match is None:
        i += 1
        if ch in _SYMBOL_ACCENTS:
            argument, i = _read_argument(text, _skip_spaces(text, i))
            out.append(_accent(ch, argument))
        else:
            out.append(_CONTROL_SYMBOLS.get(ch, ch))
        return i

    name = match.group()
    i = match.end()
    if i < n and text[i] == "*":
        i += 1
    # As in TeX, spaces after a control word only end it.
    i = _skip_spaces(text, i)
    if name in _LETTER_ACCENTS:
        argument, i = _read_argument(text, i)
        out.append(_accent(name, argument))
    elif name in _SYMBOLS:
        out.append(_SYMBOLS[name])
    elif name in _QUOTING_COMMANDS:
        argument, i = _read_argument(text, i)
        out.append(f"“{_decode(argument)}”")
    elif name in _VERBATIM_ARGUMENT_COMMANDS:
        argument, i = _read_argument(text, i)
        out.append(argument)
    elif name == "href":
        _, i = _read_argument(text, i)
        argument, i = _read_argument(text, _skip_spaces(text, i))
        out.append(_decode(argument))
    elif name in _DISCARDED_ARGUMENT_COMMANDS:
        _, i = _read_argument(text, i)
    # Anything else (\emph, \textbf, \em, \mbox, ...) is dropped; its argument, a plain
    # group, is then read as text.
    return i


def _decode(text: str) -> str:
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        match = _DECODER_SPECIAL.search(text, i)
        if match is None:
            out.append(text[i:])
            break
        j = match.start()
        if j > i:
            out.append(text[i:j])
        ch = text[j]
        if ch == "\\":
            i = _decode_command(text, j, out)
        elif ch == "{" or ch == "}":
            i = j + 1
        elif ch == "$":
            end = _math_end(text, j)
            if end < 0:
                out.append("$")
                i = j + 1
            else:
                out.append(text[j:end])
                i = end
        elif ch == "~":
            out.append(" ")
            i = j + 1
        elif ch == "-":
            k = j
            while k < n and text[k] == "-":
                k += 1
            run = k - j
            out.append("—" * (run // 3) + ("", "-", "–")[run % 3])
            i = k
        elif ch == "`" or ch == "'":
            if text.startswith(ch * 2, j):
                out.append("“" if ch == "`" else "”")
                i = j + 2
            else:
                out.append(ch)
                i = j + 1
    return "".join(out)


def latex_to_unicode(value: str) -> str:
    """Decode BibTeX/LaTeX text to plain Unicode; ``$...$`` math is kept verbatim."""
    if not _NEEDS_DECODING.search(value):
        return _collapse(value)
    return _collapse(_decode(value))


_VERBATIM_ESCAPE = re.compile(r"\\([\\{}_%&#$~])")


def _unescape_verbatim(value: str) -> str:
    if "\\" in value:
        value = _VERBATIM_ESCAPE.sub(r"\1", value)
    return _collapse(value)


# Fields holding identifiers or paths: unescaped, never typeset.
VERBATIM_FIELDS = frozenset(
    {"url", "urls", "doi", "eprint", "file", "pdf", "ee", "link", "biburl", "urlraw"}
)


def _decode_field(name: str, value: str) -> str:
    if name in VERBATIM_FIELDS:
        return _unescape_verbatim(value)
    return latex_to_unicode(value)


# ---------------------------------------------------------------------------
# Unicode -> BibTeX (entry_to_bibtex)

_LATEX_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "$": r"\$",
        "%": r"\%",
        "&": r"\&",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)
# Break the TeX ligatures --, ``, '' that the decoder would turn into dashes and quotes.
_LIGATURE = re.compile(r"([-`'])(?=\1)")
_VERBATIM_ESCAPES = str.maketrans({"\\": "\\\\", "{": r"\{", "}": r"\}"})


def _escape_plain(text: str) -> str:
    return _LIGATURE.sub(r"\1{}", text.translate(_LATEX_ESCAPES))


def _braces_balanced(text: str) -> bool:
    depth = 0
    for match in _UNESCAPED_BRACE.finditer(text):
        depth += 1 if match.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _encode_text(value: str) -> str:
    """LaTeX for ``value`` that ``latex_to_unicode`` decodes back to ``value``."""
    value = _collapse(value)
    out = []
    i = 0
    while True:
        j = value.find("$", i)
        if j < 0:
            out.append(_escape_plain(value[i:]))
            break
        end = -1 if j > 0 and value[j - 1] == "\\" else _math_end(value, j)
        if end < 0 or not _braces_balanced(value[j:end]):
            # A literal dollar, not math.
            out.append(_escape_plain(value[i : j + 1]))
            i = j + 1
            continue
        out.append(_escape_plain(value[i:j]))
        out.append(value[j:end])
        i = end
    return "".join(out)


def _encode_verbatim(value: str) -> str:
    encoded = _collapse(value).translate(_VERBATIM_ESCAPES)
    # A final backslash would escape the closing brace; the space is stripped on reading.
    return encoded + " " if encoded.endswith("\\") else encoded


_KEY_FORBIDDEN = re.compile(r'[\s,{}()"#%\\]')
_FIELD_NAME = re.compile(r'^[^\s,={}()"#%\\]+$')
_ENTRY_TYPE = re.compile(r"^[A-Za-z]\w*$")


def entry_to_bibtex(*, key: str, entry_type: str, fields: dict[str, str]) -> str:
    """A BibTeX entry whose fields ``parse_bibtex`` reads back as exactly ``fields``.

    Raises ValueError for a key, entry type or field name that cannot be written.
    """
    if not key or _KEY_FORBIDDEN.search(key):
        raise ValueError(f"Cannot write the BibTeX key {key!r}.")
    if not _ENTRY_TYPE.match(entry_type) or entry_type.lower() in {
        "comment",
        "string",
        "preamble",
    }:
        raise ValueError(f"Cannot write the entry type {entry_type!r}.")
    lines = [f"@{entry_type.lower()}{{{key},"]
    for name, value in fields.items():
        name = name.lower()
        if not _FIELD_NAME.match(name):
            raise ValueError(f"Cannot write the field name {name!r}.")
        value = str(value)
        encoded = _encode_verbatim(value) if name in VERBATIM_FIELDS else _encode_text(value)
        lines.append(f"  {name} = {{{encoded}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Authors


def _words(text: str) -> list[str]:
    """Split on whitespace and ties (``~``) outside braces."""
    if "{" not in text and "~" not in text:
        return text.split()
    words = []
    depth = 0
    start = None
    for i, ch in enumerate(text):
        escaped = i > 0 and text[i - 1] == "\\"
        if ch == "{" and not escaped:
            depth += 1
        elif ch == "}" and not escaped:
            depth = max(depth - 1, 0)
        if depth == 0 and not escaped and (ch.isspace() or ch == "~"):
            if start is not None:
                words.append(text[start:i])
                start = None
        elif start is None:
            start = i
    if start is not None:
        words.append(text[start:])
    return words


def _split_top_level_commas(text: str) -> list[str]:
    if "{" not in text:
        return [part.strip() for part in text.split(",")]
    parts = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and (i == 0 or text[i - 1] != "\\"):
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _split_author_list(value: str) -> tuple[list[str], bool]:
    """Raw names separated by ``and`` (any case, outside braces) and the "others" flag."""
    names = []
    current: list[str] = []
    for word in _words(value):
        if word.lower() == "and":
            if current:
                names.append(" ".join(current))
            current = []
        else:
            current.append(word)
    if current:
        names.append(" ".join(current))
    et_al = False
    if names and names[-1].lower() == "others":
        names.pop()
        et_al = True
    return names, et_al


def _without_caseless_groups(word: str) -> str:
    """Drop brace groups that don't start with a backslash: BibTeX ignores their case."""
    out = []
    i = 0
    n = len(word)
    while i < n:
        if word[i] == "{" and not word.startswith("{\\", i):
            end = _matching_brace(word, i)
            i = n if end < 0 else end + 1
            continue
        out.append(word[i])
        i += 1
    return "".join(out)


def _starts_lowercase(word: str) -> bool:
    """Whether a name word belongs to the "von" part (BibTeX's rule)."""
    if word[0].isalpha():
        return word[0].islower()
    for ch in latex_to_unicode(_without_caseless_groups(word)):
        if ch.isalpha():
            return ch.islower()
    return False


def _von_last(words: list[str]) -> tuple[list[str], list[str]]:
    """Split "von Last" words: von is the longest lowercase-led prefix leaving a Last."""
    if len(words) > 1 and _starts_lowercase(words[0]):
        last_lower = max(i for i in range(len(words) - 1) if _starts_lowercase(words[i]))
        return words[: last_lower + 1], words[last_lower + 1 :]
    return [], words


@functools.lru_cache(maxsize=65536)
def _display_name(name: str) -> str:
    parts = _split_top_level_commas(name)
    jr: list[str] = []
    if len(parts) == 1:
        words = _words(parts[0])
        lower = [i for i, word in enumerate(words[:-1]) if _starts_lowercase(word)]
        if lower:
            first = words[: lower[0]]
            von = words[lower[0] : lower[-1] + 1]
            last = words[lower[-1] + 1 :]
        else:
            first, von, last = words[:-1], [], words[-1:]
    else:
        von, last = _von_last(_words(parts[0]))
        if len(parts) == 2:
            first = _words(parts[1])
        else:
            jr = _words(parts[1])
            first = _words(", ".join(parts[2:]))
    display = " ".join(latex_to_unicode(" ".join(words)) for words in (first, von, last) if words)
    if jr:
        display = f"{display}, {latex_to_unicode(' '.join(jr))}"
    # Stray commas or empty braces are no name.
    return _collapse(display) if any(ch.isalnum() for ch in display) else ""


def parse_authors(value: str) -> list[str]:
    """Display names ("First von Last, Jr") of a BibTeX author list; "others" is dropped."""
    names, _ = _split_author_list(value)
    return [display for display in map(_display_name, names) if display]


# ---------------------------------------------------------------------------
# Keys and identifiers


def normalize_key(key: str) -> str:
    """The key in NFC, without surrounding whitespace and without dblp's ``DBLP:`` prefix."""
    key = unicodedata.normalize("NFC", key).strip()
    if key[:5].lower() == "dblp:":
        key = key[5:].strip()
    return key


def key_problem(key: str) -> str:
    """Why `key` (normalized) cannot be a paper's key, as the end of a sentence; "" if it can.

    A key is what BibTeX reads as one (no space, comma, brace, parenthesis, quote, #, % or
    backslash), printable (no control, format, zero-width or direction character), and, as
    it is part of the paper's address, made of /-separated parts none of which is empty,
    "." or ".."; ? is refused too. dblp keys, arXiv keys and DOIs all qualify."""
    if not key:
        return "the key is empty"
    if _KEY_FORBIDDEN.search(key):
        return 'the key must not contain spaces or any of {}(),"#%\\'
    if "?" in key:
        return "the key must not contain ? or # (it is part of the paper's address)"
    for char in key:
        if unicodedata.category(char)[0] in "CZ":
            return (
                f"the key contains the invisible character U+{ord(char):04X} "
                f"({unicodedata.name(char, 'a control character').lower()})"
            )
    if any(part in {"", ".", ".."} for part in key.split("/")):
        return "each part of a key between slashes must have a name (not empty, '.' or '..')"
    if not any(char.isalnum() for char in key):
        return "the key must contain a letter or a digit"
    return ""


_OLD_ARXIV_ARCHIVES = frozenset(
    {
        "acc-phys",
        "adap-org",
        "alg-geom",
        "ao-sci",
        "astro-ph",
        "atom-ph",
        "bayes-an",
        "chao-dyn",
        "chem-ph",
        "cmp-lg",
        "comp-gas",
        "cond-mat",
        "cs",
        "dg-ga",
        "funct-an",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math",
        "math-ph",
        "mtrl-th",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "patt-sol",
        "physics",
        "plasm-ph",
        "q-alg",
        "q-bio",
        "quant-ph",
        "solv-int",
        "supr-con",
    }
)
_ARXIV_NEW = r"(?P<new>(?P<yymm>\d{4})\.(?P<number>\d{4,5}))"
_ARXIV_OLD = r"(?P<old>(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[A-Za-z]{2})?/(?P<oldnumber>\d{7}))"
_ARXIV_ID = rf"(?:{_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?"
_ARXIV_FULL = re.compile(
    r"^(?:arxiv:\s*|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)?"
    + _ARXIV_ID
    + r"(?:\.pdf)?/?$",
    re.IGNORECASE,
)
# "arXiv preprint arXiv:1706.03762", "arXiv: 1706.03762 [cs]", arxiv.org links in text.
_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv(?:\.org/(?:abs|pdf|html))?[:/ ]\s*)" + _ARXIV_ID + r"(?![\d.])", re.IGNORECASE
)


def _arxiv_from_match(match: re.Match) -> str:
    if match.group("new"):
        yymm = match.group("yymm")
        year, month = int(yymm[:2]), int(yymm[2:])
        five_digits = len(match.group("number")) == 5
        if not 1 <= month <= 12 or year < 7 or (yymm >= "1501") != five_digits:
            return ""
        return match.group("new")
    archive = match.group("archive").lower()
    number = match.group("oldnumber")
    year, month = int(number[:2]), int(number[2:4])
    if archive not in _OLD_ARXIV_ARCHIVES or not 1 <= month <= 12 or 7 < year < 91:
        return ""
    return f"{archive}/{number}"


def parse_arxiv_id(value: str) -> str:
    """The arXiv id (no version) of an id, ``arXiv:`` id or arxiv.org URL; else ""."""
    match = _ARXIV_FULL.match(value.strip())
    return _arxiv_from_match(match) if match else ""


def _find_arxiv_id(text: str) -> str:
    for match in _ARXIV_IN_TEXT.finditer(text):
        arxiv_id = _arxiv_from_match(match)
        if arxiv_id:
            return arxiv_id
    return ""


_DOI_PREFIX = re.compile(r"^(?:doi:\s*|(?:https?://)?(?:dx\.|www\.)?doi\.org/)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$")


def parse_doi(value: str) -> str:
    """The bare, lowercased DOI of ``10.x/y``, ``doi:10.x/y`` or a doi.org URL; else ""."""
    value = value.strip()
    value = _DOI_PREFIX.sub("", value, count=1)
    if "%" in value:
        value = unquote(value)
    value = value.rstrip(".,;")
    return value.lower() if _DOI.match(value) else ""


def arxiv_key(arxiv_id: str) -> str:
    """The paper key of an arXiv paper: ``journals/corr/1611.03530``.

    Old-style ids put the archive before the number with a dash instead of the slash
    (``hep-th/9901001`` -> ``journals/corr/hep-th-9901001``), so that the key keeps
    three path segments and ``venue_key_for`` still sees ``journals/corr``; the number
    has no dash, so the id can be recovered from the key.
    """
    return "journals/corr/" + arxiv_id.replace("/", "-")


_ARXIV_KEY = re.compile(r"^journals/corr/(?:(\d{4}\.\d{4,5})|([a-z]+(?:-[a-z]+)?)-(\d{7}))$")
_DBLP_CORR_KEY = re.compile(r"^journals/corr/abs-(\d{4})-(\d{4,5})$")


def _arxiv_id_from_key(key: str) -> str:
    match = _ARXIV_KEY.match(key)
    if match:
        candidate = match.group(1) or f"{match.group(2)}/{match.group(3)}"
        return parse_arxiv_id(candidate)
    match = _DBLP_CORR_KEY.match(key)
    if match:
        return parse_arxiv_id(f"{match.group(1)}.{match.group(2)}")
    return ""


_VENUE_KEY_ROOTS = frozenset({"conf", "journals", "books"})
ARXIV_VENUE_KEY = "journals/corr"
_ARXIV_DOI_PREFIX = "10.48550"


def venue_key_for(key: str, doi: str) -> str:
    """``conf/nips`` for ``conf/nips/RenHGS15``; else the DOI's prefix (``10.1038``); else "".

    arXiv's own DOIs (10.48550/arXiv.*) map to ``journals/corr``, where dblp files arXiv.
    """
    parts = normalize_key(key).split("/")
    if len(parts) >= 3 and parts[0] in _VENUE_KEY_ROOTS and all(parts):
        return "/".join(parts[:-1])
    doi = parse_doi(doi) if doi else ""
    if doi:
        prefix = doi.split("/", 1)[0]
        return ARXIV_VENUE_KEY if prefix == _ARXIV_DOI_PREFIX else prefix
    return ""


_DBLP_URL = re.compile(
    r"^(?:https?://)?(?:www\.)?dblp(?:\.uni-trier\.de|\.org)/rec/(?:bibtex\d?/|bib\d?/)?"
    r"(?P<key>[^?#]+?)(?:\.html|\.bib|\.xml)?/?$",
    re.IGNORECASE,
)
_LOOKS_LIKE_KEY = re.compile(r"^[^\s,{}()\"#%\\]{2,255}$")


def resolve_identifier(text: str) -> tuple[str, str] | None:
    """Classify a search string as ("doi"|"arxiv"|"key", normalized value), or None.

    A key is a single token with a digit, a slash or a colon in it (``Cesar2013``,
    ``conf/nips/RenHGS15``, ``DBLP:...``): plain words are left to full-text search.
    """
    text = text.strip()
    if not text:
        return None
    doi = parse_doi(text)
    if doi:
        arxiv_doi = _ARXIV_DOI.match(doi)
        if arxiv_doi and parse_arxiv_id(arxiv_doi.group(1)):
            return "arxiv", parse_arxiv_id(arxiv_doi.group(1))
        return "doi", doi
    arxiv_id = parse_arxiv_id(text)
    if arxiv_id:
        return "arxiv", arxiv_id
    dblp = _DBLP_URL.match(text)
    if dblp:
        return "key", normalize_key(unquote(dblp.group("key")))
    key = normalize_key(text)
    if _LOOKS_LIKE_KEY.match(key) and any(ch.isdigit() or ch in "/:" for ch in key):
        return "key", key
    return None


_NON_WORD = re.compile(r"[\W_]+")


def normalize_title(title: str) -> str:
    """A comparison form of a title: casefolded, without accents, spaces or punctuation."""
    text = unicodedata.normalize("NFKD", latex_to_unicode(title).casefold())
    if not text.isascii():  # most titles are: nothing to strip
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub("", text)


# ---------------------------------------------------------------------------
# Field values: @string macros, concatenation, months


_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# The macros every BibTeX style defines.
_DEFAULT_MACROS = {name[:3].lower(): name for name in _MONTH_NAMES}
_MONTH_NUMBERS = {name[:3].lower(): number for number, name in enumerate(_MONTH_NAMES, 1)}
_MACRO_NAME = re.compile(r"[^\s#{}\",=]+")
_DIGITS = re.compile(r"\d+")


class _InvalidValue(Exception):
    """A field value that is not valid BibTeX; the message completes a sentence."""


# An imported entry is stored whole for export (pages show the fields read from it at import);
# imports refuse longer ones, and export ignores longer stored ones.
MAX_ENTRY_CHARS = 20_000

# @string chains can double at every step (a1 = a0 # a0, a2 = a1 # a1...): every expanded value
# and all of them together are bounded, so a few hundred bytes cannot ask for gigabytes.
MAX_EXPANDED_VALUE_CHARS = 100_000
MAX_EXPANDED_TOTAL_CHARS = 12_000_000


# Stands in for a macro whose definition failed, so that values using it fail too.
_UNDEFINABLE = "\x00undefinable"


class _ExpansionBudget:
    """Characters the macro expansions of one parse may still produce."""

    def __init__(self, text_length: int):
        self.left = MAX_EXPANDED_TOTAL_CHARS + text_length

    def spend(self, length: int) -> None:
        self.left -= length
        if self.left < 0:
            raise _InvalidValue(
                "the @string macros of this input expand to more than "
                f"{MAX_EXPANDED_TOTAL_CHARS:,} characters in all"
            )


def _closing_quote(value: str, start: int) -> int:
    depth = 0
    for match in _UNESCAPED_BRACE_OR_QUOTE.finditer(value, start + 1):
        ch = match.group()
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            return match.start()
    return -1


def _evaluate(raw: str, macros: dict[str, str], budget: _ExpansionBudget | None = None) -> str:
    """The text of a raw value: ``{...}``, ``"..."``, a number, a macro, or a ``#`` chain."""
    value = raw.strip()
    if not value:
        return ""
    first, last = value[0], value[-1]
    if first == "{" and last == "}":
        inner = value[1:-1]
        if "{" not in inner and "}" not in inner:
            return inner
    elif first == '"' and last == '"' and len(value) > 1:
        inner = value[1:-1]
        if '"' not in inner and "{" not in inner and "}" not in inner:
            return inner
    elif value.isdigit():
        return value

    parts = []
    length = 0
    i = 0
    n = len(value)
    while True:
        i = _skip_spaces(value, i)
        if i >= n:
            raise _InvalidValue("a value is missing after '#'")
        ch = value[i]
        if ch == "{":
            end = _matching_brace(value, i)
            if end < 0:
                raise _InvalidValue("a brace is not closed")
            parts.append(value[i + 1 : end])
            i = end + 1
        elif ch == '"':
            end = _closing_quote(value, i)
            if end < 0:
                raise _InvalidValue("a quote is not closed")
            parts.append(value[i + 1 : end])
            i = end + 1
        elif ch.isdigit():
            match = _DIGITS.match(value, i)
            parts.append(match.group())
            i = match.end()
        else:
            match = _MACRO_NAME.match(value, i)
            if match is None:
                raise _InvalidValue(f"unexpected {ch!r}")
            name = match.group()
            # An undefined macro keeps its name: more useful than BibTeX's empty string.
            expansion = macros.get(name.lower(), _DEFAULT_MACROS.get(name.lower(), name))
            if expansion is _UNDEFINABLE:
                raise _InvalidValue(f"it uses the macro '{name}', which could not be defined")
            parts.append(expansion)
            i = match.end()
        length += len(parts[-1])
        if length > MAX_EXPANDED_VALUE_CHARS:
            raise _InvalidValue(
                f"it expands to more than {MAX_EXPANDED_VALUE_CHARS:,} characters "
                "(@string macros that grow at every step?)"
            )
        i = _skip_spaces(value, i)
        if i >= n:
            if budget is not None:
                budget.spend(length)
            return "".join(parts)
        if value[i] != "#":
            raise _InvalidValue("there is text after the value (a missing comma?)")
        i += 1


# ---------------------------------------------------------------------------
# Entries

_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ISO_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_MONTH_VALUE = re.compile(r"^\s*(?:(\d{1,2})(?!\d)|([A-Za-z]{3}))")
_KEYWORD_SEPARATOR = re.compile(r"[,;]")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)  # papers.links: http(s) only
_URL_FIELDS = ("url", "urls", "ee", "link", "pdf", "howpublished")
_BLOCK_TYPE_IN_RAW = re.compile(r"^@\s*(\w*)")
_ENTRY_KEY_IN_RAW = re.compile(r"^@\s*\w*\s*[{(]\s*([^\s,{}()\"#%\\=]+)\s*(=)?")
# PostgreSQL cannot store NUL; no other control character belongs in BibTeX either.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _month_number(value: str) -> int | None:
    match = _MONTH_VALUE.match(value)
    if match is None:
        return None
    if match.group(1):
        number = int(match.group(1))
        return number if 1 <= number <= 12 else None
    return _MONTH_NUMBERS.get(match.group(2).lower())


def _safe_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _year_and_published(fields: dict[str, str]) -> tuple[int | None, datetime.date | None]:
    year = None
    match = _YEAR.search(fields.get("year", ""))
    if match:
        year = int(match.group(1))
    date = _ISO_DATE.match(fields.get("date", ""))
    if date:
        if year is None:
            year = int(date.group(1))
        if date.group(2) and int(date.group(1)) == year:
            return year, _safe_date(year, int(date.group(2)), int(date.group(3) or 1))
    if year is None or "month" not in fields:
        return year, None
    month = _month_number(fields["month"])
    if month is None:
        return year, None
    day = _DIGITS.match(fields.get("day", "").strip())
    return year, _safe_date(year, month, int(day.group()) if day else 1)


def _detect_arxiv_id(key: str, fields: dict[str, str], doi: str) -> str:
    eprint = fields.get("eprint", "")
    archive = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
    if eprint and archive == "arxiv":
        arxiv_id = parse_arxiv_id(eprint)
        if arxiv_id:
            return arxiv_id
    journal = fields.get("journal", "") or fields.get("journaltitle", "")
    if journal.lower() == "corr" and fields.get("volume"):
        volume = fields["volume"]
        arxiv_id = parse_arxiv_id(volume[4:] if volume.lower().startswith("abs/") else volume)
        if arxiv_id:
            return arxiv_id
    arxiv_id = _arxiv_id_from_key(key)
    if arxiv_id:
        return arxiv_id
    arxiv_doi = _ARXIV_DOI.match(doi)
    if arxiv_doi and parse_arxiv_id(arxiv_doi.group(1)):
        return parse_arxiv_id(arxiv_doi.group(1))
    for name in ("url", "urls", "ee", "link", "pdf", "journal", "note", "howpublished"):
        if name in fields:
            arxiv_id = _find_arxiv_id(fields[name])
            if arxiv_id:
                return arxiv_id
    return ""


def _usable_keyword(keyword: str) -> bool:
    """A keyword that can name a page: printable, and no part of it between slashes empty,
    "." or ".." (which browsers would fold into another address)."""
    if not keyword or any(unicodedata.category(char)[0] == "C" for char in keyword):
        return False
    return not any(part.strip() in {"", ".", ".."} for part in keyword.split("/"))


def _keywords(fields: dict[str, str], is_arxiv: bool) -> list[str]:
    keywords: dict[str, None] = {}
    for name in ("keywords", "keyword"):
        for keyword in _KEYWORD_SEPARATOR.split(fields.get(name, "")):
            keyword = " ".join(keyword.split())[:100]
            if _usable_keyword(keyword):
                keywords[keyword] = None
    primary_class = fields.get("primaryclass", "").strip()
    if primary_class and is_arxiv:
        keywords[primary_class] = None
    return list(keywords)


def _urls(fields: dict[str, str]) -> list[str]:
    urls: dict[str, None] = {}
    for name in _URL_FIELDS:
        for word in fields.get(name, "").split():
            if _URL.match(word):
                urls[word] = None
    return list(urls)


def _is_arxiv_preprint(fields: dict[str, str]) -> bool:
    """No venue other than arXiv itself (Google Scholar's "arXiv preprint ...", CoRR)."""
    if fields.get("booktitle"):
        return False
    venue = fields.get("journal") or fields.get("journaltitle") or ""
    return not venue or "arxiv" in venue.lower() or venue.lower() == "corr"


def _build_entry(
    entry: Entry, macros: dict[str, str], budget: _ExpansionBudget | None = None
) -> ParsedEntry:
    """Turn a split entry into a ParsedEntry; raises _InvalidValue for invalid content."""
    evaluated: dict[str, str] = {}
    for bib_field in entry.fields:
        name = bib_field.key.lower()
        if not _FIELD_NAME.match(name):
            raise _InvalidValue(f"'{_collapse(name)}' is not a field name (a missing comma?)")
        if name in evaluated:
            raise _InvalidValue(f"the field '{name}' appears twice")
        try:
            evaluated[name] = _evaluate(bib_field.value, macros, budget)
        except _InvalidValue as error:
            raise _InvalidValue(f"the value of field '{name}' cannot be read: {error}") from None
    fields = {name: _decode_field(name, value) for name, value in evaluated.items()}

    key = normalize_key(entry.key)
    urls = _urls(fields)
    doi = parse_doi(fields.get("doi", ""))
    if not doi:
        for url in urls:
            doi = parse_doi(url)
            if doi:
                break
    arxiv_id = _detect_arxiv_id(key, fields, doi)
    venue_key = venue_key_for(key, doi)
    if not venue_key and arxiv_id and _is_arxiv_preprint(fields):
        venue_key = ARXIV_VENUE_KEY
    names, et_al = _split_author_list(evaluated.get("author", ""))
    year, published = _year_and_published(fields)
    return ParsedEntry(
        key=key,
        entry_type=entry.entry_type.lower(),
        title=fields.get("title", ""),
        authors=[display for display in map(_display_name, names) if display],
        year=year,
        venue_key=venue_key,
        venue_name=fields.get("booktitle")
        or fields.get("journal")
        or fields.get("journaltitle")
        or "",
        doi=doi,
        arxiv_id=arxiv_id,
        urls=urls,
        keywords=_keywords(fields, is_arxiv=bool(arxiv_id)),
        abstract=fields.get("abstract", ""),
        published=published,
        fields=fields,
        raw=entry.raw or "",
        line=(entry.start_line or 0) + 1,
        et_al=et_al,
    )


def _describe(kind: str, key: str | None, line: int) -> str:
    if kind in {"string", "preamble", "comment"}:
        return f"@{kind} at line {line}"
    return f"Entry '{key}' at line {line}" if key else f"Entry at line {line}"


def _abort_reason(error: Exception) -> str:
    reason = getattr(error, "abort_reason", "") or str(error)
    if reason.startswith("Unexpectedly reached end of file"):
        return "the input ends before the entry is closed (a missing closing brace?)"
    if reason.startswith("Unexpected block start"):
        return "a new entry starts before this one is closed (a missing closing brace or quote?)"
    if reason.startswith("Expected comma after entry key"):
        return "expected a comma after the key"
    if reason.startswith("Expected a `=` after entry key `"):
        dangling = reason.split("`")[3]
        return f"'{dangling}' is not a field (a missing '='?)"
    if reason.startswith("Expected a `=` after entry key"):
        return "expected '=' after a field name (a missing comma?)"
    if reason.startswith("Expected either a `,` or"):
        return "expected a comma or a closing brace after a field value"
    if reason.startswith("Expected equals sign"):
        return "expected '=' after the name"
    return reason.rstrip(".") or "cannot be read"


def _failed_block_error(block: ParsingFailedBlock) -> EntryError:
    line = (block.start_line or 0) + 1
    kind_match = _BLOCK_TYPE_IN_RAW.match(block.raw or "")
    kind = kind_match.group(1).lower() if kind_match else ""
    match = _ENTRY_KEY_IN_RAW.match(block.raw or "")
    key = match.group(1) if match and not match.group(2) else None
    key = normalize_key(key) if key and kind not in {"string", "preamble", "comment"} else None
    if isinstance(block.error, BlockAbortedException):
        reason = _abort_reason(block.error)
    else:
        reason = f"cannot be read ({block.error})"
    return EntryError(key=key, line=line, message=f"{_describe(kind, key, line)}: {reason}")


def _collect_macros(
    blocks: list, errors: list[EntryError], budget: _ExpansionBudget
) -> dict[str, str]:
    macros: dict[str, str] = {}
    for block in blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            block = block.ignore_error_block  # a redefined @string: the later one wins
        if not isinstance(block, String):
            continue
        try:
            macros[block.key.strip().lower()] = _evaluate(block.value, macros, budget)
        except _InvalidValue as error:
            line = (block.start_line or 0) + 1
            macros[block.key.strip().lower()] = _UNDEFINABLE
            name = _collapse(block.key.strip())[:60]
            message = f"@string at line {line}: the macro '{name}' cannot be defined: {error}"
            errors.append(EntryError(key=None, line=line, message=message))
    return macros


def _inherit_from_crossref(entries: list[ParsedEntry]) -> None:
    """Fill a missing year, venue or date from the entry named in ``crossref``."""
    by_key = {entry.key.casefold(): entry for entry in entries}
    for entry in entries:
        seen = {entry.key.casefold()}
        parent_key = entry.fields.get("crossref", "")
        while parent_key and (entry.year is None or not entry.venue_name):
            parent = by_key.get(normalize_key(parent_key).casefold())
            if parent is None or parent.key.casefold() in seen:
                break
            seen.add(parent.key.casefold())
            entry.year = entry.year or parent.year
            entry.published = entry.published or parent.published
            entry.venue_name = entry.venue_name or parent.fields.get("booktitle") or parent.title
            parent_key = parent.fields.get("crossref", "")


def _parse(text: str) -> ParseResult:
    result = ParseResult()
    text = text.lstrip("\ufeff")
    if _CONTROL_CHARACTERS.search(text):
        text = _CONTROL_CHARACTERS.sub("", text)
    library = bibtexparser.parse_string(text, parse_stack=[])
    blocks = library.blocks
    budget = _ExpansionBudget(len(text))
    macros = _collect_macros(blocks, result.errors, budget)
    first_line_of_key: dict[str, int] = {}

    for block in blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            # Duplicate keys are reported below, naming both lines.
            block = block.ignore_error_block
        if isinstance(block, DuplicateFieldKeyBlock):
            entry = block.ignore_error_block
            line = (entry.start_line or 0) + 1
            key = normalize_key(entry.key) or None
            names = ", ".join(f"'{name}'" for name in sorted(block.duplicate_keys))
            message = f"{_describe('', key, line)}: the field {names} appears twice"
            result.errors.append(EntryError(key=key, line=line, message=message))
            continue
        if isinstance(block, ParsingFailedBlock):
            result.errors.append(_failed_block_error(block))
            continue
        if not isinstance(block, Entry):
            continue

        line = (block.start_line or 0) + 1
        key = normalize_key(block.key)
        described = _describe("", key, line)
        if not key:
            result.errors.append(EntryError(None, line, f"{described} has no key"))
            continue
        if not _ENTRY_TYPE.match(block.entry_type):
            message = f"{described}: '@{block.entry_type}' is not an entry type"
            result.errors.append(EntryError(key, line, message))
            continue
        problem = key_problem(key)
        if problem:
            result.errors.append(EntryError(key, line, f"{described}: {problem}"))
            continue
        if key.casefold() in first_line_of_key:
            first_line = first_line_of_key[key.casefold()]
            message = f"{described} repeats the key of the entry at line {first_line}"
            result.errors.append(EntryError(key, line, message))
            continue
        first_line_of_key[key.casefold()] = line
        try:
            parsed = _build_entry(block, macros, budget)
        except _InvalidValue as error:
            result.errors.append(EntryError(key, line, f"{described}: {error}"))
            continue
        except Exception:  # a bug here must not turn a user's paste into a server error
            logger.exception("Could not build the BibTeX entry at line %s", line)
            result.errors.append(EntryError(key, line, f"{described}: cannot be read"))
            continue
        if not parsed.title:
            result.errors.append(EntryError(key, line, f"{described} has no title"))
            continue
        result.entries.append(parsed)

    _inherit_from_crossref(result.entries)
    result.errors.sort(key=lambda error: error.line)
    return result


def parse_bibtex(text: str) -> ParseResult:
    """Parse BibTeX text into entries and per-entry errors; never raises on bad input."""
    try:
        return _parse(text)
    except Exception as error:  # bibtexparser raises on inputs it considers impossible
        logger.exception("bibtexparser failed on the input")
        return ParseResult(
            entries=[],
            errors=[EntryError(None, 1, f"The BibTeX input cannot be read ({error}).")],
        )
