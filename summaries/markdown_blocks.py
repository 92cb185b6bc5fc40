"""CommonMark's list and block rules, restated in the shape python-markdown understands.

python-markdown nests list content by multiples of four spaces and wants blank lines
between blocks; writers (and GitHub, and CommonMark) indent nested items by two or
three spaces, to the column where the item's text starts, and start lists and tables
right under a paragraph line. No maintained extension reads lists by their content
column (mdx_truly_sane_lists fixes the nesting step at one number, which breaks either
"- " or "1. " items), so this preprocessor re-indents list items to python-markdown's
grid and adds the blank lines CommonMark implies; every other rule stays
python-markdown's and its extensions'. One pass over the lines: linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown.preprocessors import Preprocessor

# A line that ends one list and starts another of a different kind, and the text of an
# item that is empty (python-markdown has no empty items); a treeprocessor removes both.
LIST_SEPARATOR = "\ue002"
EMPTY_ITEM = "\ue003"

_LIST_ITEM_RE = re.compile(r"( {0,3})([*+-]|\d{1,9}[.)])(?:([ ]+)(?=\S)|[ ]*$)")
_THEMATIC_BREAK_RE = re.compile(r" {0,3}(?:(?:-[ ]*){3,}|(?:\*[ ]*){3,}|(?:_[ ]*){3,})$")
_FENCE_RE = re.compile(r"( *)(`{3,}|~{3,})(.*)$")
_TABLE_DELIMITER_RE = re.compile(r" {0,3}\|?[ ]*:?-+:?[ ]*(?:\|[ ]*:?-+:?[ ]*)*\|?[ ]*$")
_BLOCKQUOTE_RE = re.compile(r" {0,3}>[ ]?")
_ATX_RE = re.compile(r" {0,3}#{1,6}(?:[ ]|$)")
_SETEXT_RE = re.compile(r" {0,3}(?:=+|-+)[ ]*$")
_PIPE_RE = re.compile(r"(?<!\\)\|")
_MAX_DEPTH = 12  # of lists and of quotes; python-markdown's own nesting limit is lower still
_ESCAPE_QUOTE_RE = re.compile(r"^( {0,3})>")


@dataclass
class _Item:
    content_column: int  # where the item's text starts in the source line
    depth: int  # nesting level in the output: the marker goes at 4 * depth
    marker: str  # "-", "*", "+", "." or ")"
    had_blank: bool = False  # a blank line inside it: the list is loose


@dataclass
class _Fence:
    char: str
    length: int
    indent: int  # the opener's indentation, relative to its container
    prefix: str  # what every line of the fence gets in the output
    has_content: bool = False


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_fence_closer(line: str, fence: _Fence) -> bool:
    stripped = line.strip()
    return (
        _indent_of(line) < 4
        and len(stripped) >= fence.length
        and stripped == fence.char * len(stripped)
    )


class _Normalizer:
    def __init__(self, quote_depth: int = 0) -> None:
        self.quote_depth = quote_depth
        self.out: list[str] = []
        self.items: list[_Item] = []
        self.fence: _Fence | None = None
        self.previous = "blank"  # "blank", "text" (a paragraph line), "item" or "other"
        self.last_marker: dict[int, str] = {}  # per depth: the marker of the list just ended
        self.left_item = False  # the current line ended a list item
        self.closed_had_blank = False
        self.paragraph_start = -1  # where the paragraph being written starts in out

    def run(self, lines: list[str]) -> list[str]:
        index = 0
        while index < len(lines):
            line = lines[index]
            if self.quote_depth >= _MAX_DEPTH and _BLOCKQUOTE_RE.match(line):
                line = _ESCAPE_QUOTE_RE.sub(r"\1\\>", line)  # deeper quotes are text
            if self.fence is None and not self.items and _BLOCKQUOTE_RE.match(line):
                end = index + 1
                while end < len(lines) and self._continues_quote(lines[end], lines[end - 1]):
                    end += 1
                self._blockquote(lines[index:end])
                index = end
                continue
            self._line(line, lines[index + 1] if index + 1 < len(lines) else None)
            index += 1
        if self.fence is not None and self.fence.has_content:
            # An unclosed fence runs to the end of the text (with nothing in it, it is text).
            self.out.append(self.fence.prefix + self.fence.char * self.fence.length)
        return self.out

    @staticmethod
    def _continues_quote(line: str, previous: str) -> bool:
        if _BLOCKQUOTE_RE.match(line):
            return True
        # A lazy line continues the quote's paragraph; anything that starts a block ends it.
        quoted = (
            previous[_BLOCKQUOTE_RE.match(previous).end() :]
            if _BLOCKQUOTE_RE.match(previous)
            else previous
        )
        text = line.lstrip(" ")
        return bool(
            line.strip()
            and quoted.strip()
            and not _FENCE_RE.match(quoted.lstrip(" "))
            and not _LIST_ITEM_RE.match(text)
            and not _FENCE_RE.match(text)
            and not _ATX_RE.match(text)
            and not _THEMATIC_BREAK_RE.match(text)
        )

    def _blockquote(self, lines: list[str]) -> None:
        inner = []
        for line in lines:
            m = _BLOCKQUOTE_RE.match(line)
            inner.append(line[m.end() :] if m else line)
        if self.previous == "quote":  # two quotes apart: python-markdown would join them
            self.out.extend([LIST_SEPARATOR, ""])
        elif self.previous == "text":
            self.out.append("")
        normalized = _Normalizer(self.quote_depth + 1).run(inner)
        while normalized and not normalized[-1].strip():
            normalized.pop()
        self.out.extend(("> " + line).rstrip() for line in normalized)
        self.out.append("")
        self.previous = "quote"

    def _emit(self, line: str, kind: str) -> None:
        if kind == "text" and self.previous != "text":
            self.paragraph_start = len(self.out)
        elif kind != "text":
            self.paragraph_start = -1
        self.out.append(line)
        self.previous = kind

    def _line(self, line: str, following: str | None) -> None:
        if self.fence is not None:
            self._fenced_line(line)
            return
        if not line.strip():
            if self.previous == "quote":
                self.out.append("")
                return
            self._emit("", "blank")
            if self.items:
                self.items[-1].had_blank = True
            return
        indent = _indent_of(line)
        self.left_item = False
        self.closed_had_blank = False
        # Leave the items this line is not inside of (a lazy paragraph line stays).
        while self.items and indent < self.items[-1].content_column:
            if self.previous == "text" and not self._starts_block(line, indent):
                return self._emit(self._in_item(_escape_marker(line.lstrip(" "))), "text")
            if self.previous == "blank" or self._starts_block(line, indent):
                self._close_item()
                self.left_item = True
            else:
                break
        base = self.items[-1].content_column if self.items else 0
        relative = indent - base
        if relative < 4 and _THEMATIC_BREAK_RE.match(line[base:]):
            self._thematic_break(line, base)
            return
        m = _LIST_ITEM_RE.match(line, base) if relative < 4 else None
        if m and len(self.items) < _MAX_DEPTH and self._may_start_item(m):
            self._item(line, m)
            return
        self._content(line, base, following)

    def _starts_block(self, line: str, indent: int) -> bool:
        parent = self.items[-2].content_column if len(self.items) > 1 else 0
        if indent - parent >= 4:
            return False  # too deep to start anything there: a lazy line
        text = line.lstrip(" ")
        return bool(
            _LIST_ITEM_RE.match(text)
            or _FENCE_RE.match(text)
            or _ATX_RE.match(text)
            or text.startswith(">")
            or _THEMATIC_BREAK_RE.match(text)
        )

    def _close_item(self) -> None:
        item = self.items.pop()
        self.closed_had_blank = self.closed_had_blank or item.had_blank
        self.last_marker[item.depth] = item.marker
        for depth in [d for d in self.last_marker if d > item.depth]:
            del self.last_marker[depth]

    def _may_start_item(self, m: re.Match[str]) -> bool:
        if self.previous != "text" or self.items or self.left_item:
            return True
        # Interrupting a paragraph: CommonMark allows a non-empty item, numbered from 1.
        marker = m.group(2)
        empty = m.group(3) is None
        return not empty and (not marker[0].isdigit() or int(marker[:-1]) == 1)

    def _item(self, line: str, m: re.Match[str]) -> None:
        marker = m.group(2)
        kind = marker if not marker[0].isdigit() else marker[-1]
        depth = len(self.items)
        spaces = m.group(3) or " "
        content = line[m.end() :]
        if len(spaces) > 4:  # the text is indented code, one space after the marker
            spaces, content = " ", line[m.end(2) + 1 :]
        content_column = m.start(2) + len(marker) + len(spaces)
        if self.previous == "text" and depth == 0 and self.last_marker.get(0) is None:
            self.out.append("")  # a list right after a paragraph line
        previous_kind = self.last_marker.get(depth)
        if previous_kind is not None and previous_kind != kind:
            # A new bullet character or delimiter starts a new list.
            self.out.extend(["", " " * (4 * depth) + LIST_SEPARATOR, ""])
        elif previous_kind is not None and self.closed_had_blank and self.previous != "blank":
            self.out.append("")  # python-markdown needs the blank line between loose items
        self.last_marker.pop(depth, None)
        for deeper in [d for d in self.last_marker if d > depth]:
            del self.last_marker[deeper]
        self.items.append(_Item(content_column, depth, kind))
        number = f"{int(marker[:-1])}." if marker[0].isdigit() else marker
        prefix = " " * (4 * depth) + number + " "
        if not content.strip() or _FENCE_RE.match(content) or content.startswith("    "):
            self._emit(prefix + EMPTY_ITEM, "item")
            if content.strip():
                self.out.append("")
                self._content(" " * content_column + content, content_column, None)
            return
        self._emit(prefix + content, "text")
        self.paragraph_start = -1  # an underline below an item's first line is a rule

    def _thematic_break(self, line: str, base: int) -> None:
        if self.previous == "text" and not self.left_item and line.strip().startswith("-"):
            if _SETEXT_RE.match(line[base:]):
                if self.paragraph_start >= 0:
                    self._setext(line[base:])
                else:  # below an item's first line
                    self._emit(self._in_item("---"), "other")
                return
        if self.previous != "blank":
            self.out.append("")
        if self.items and base == 0:
            while self.items:
                self._close_item()
        canonical = line.strip()[0] * 3
        self._emit(self._in_item(canonical) if self.items else canonical, "other")
        self.out.append("")
        self.previous = "blank"

    def _in_item(self, text: str) -> str:
        if not self.items:
            return text
        return " " * (4 * self.items[-1].depth + 4) + text

    def _content(self, line: str, base: int, following: str | None) -> None:
        if self.items and self.previous == "blank" and _indent_of(line) < base:
            while self.items:
                self._close_item()
            base = 0
            if _indent_of(line) >= 4:  # indented code after a list, not more of the list
                self.out.extend([LIST_SEPARATOR, ""])
        if not self.items:
            self.last_marker.clear()
        text = line[base:] if self.items else line
        if _indent_of(text) >= 4 and self.previous in ("blank", "other", "code"):
            self._emit(self._in_item(text) if self.items else text, "code")  # indented code
            return
        fence = _FENCE_RE.match(text)
        if (
            fence
            and (fence.group(2)[0] == "~" or "`" not in fence.group(3))
            and len(fence.group(1)) < 4
        ):
            if self.previous not in ("blank", "other") or (self.items and self.previous == "item"):
                self.out.append("")
            prefix = self._in_item("") if self.items else ""
            self.fence = _Fence(fence.group(2)[0], len(fence.group(2)), len(fence.group(1)), prefix)
            self._emit(prefix + text.lstrip(" "), "other")
            return
        if _ATX_RE.match(text):  # python-markdown wants "#" in the first column
            if self.items:
                self._emit(self._in_item(text.strip()), "other")
                return
            # A block of its own: python-markdown re-tests the rest of a block after each
            # heading in it, which is quadratic in a block of many headings.
            if self.previous != "blank":
                self.out.append("")
            self._emit(text.strip(), "other")
            self.out.append("")
            self.previous = "blank"
            return
        if self.previous == "text" and _SETEXT_RE.match(text) and self.paragraph_start >= 0:
            self._setext(text)
            return
        if (
            following is not None
            and self.previous == "text"
            and _PIPE_RE.search(text)
            and _TABLE_DELIMITER_RE.match(following[base:] if self.items else following)
            and _PIPE_RE.search(following)
        ):
            self.out.append("")  # a table right after a paragraph line
        self._emit(self._in_item(text) if self.items else text, "text")

    def _setext(self, underline: str) -> None:
        """Join the paragraph above into one line: python-markdown reads only two-line ones."""
        prefix = self._in_item("") if self.items else ""
        joined = " ".join(line.strip() for line in self.out[self.paragraph_start :])
        del self.out[self.paragraph_start :]
        self._emit(prefix + joined, "other")
        self._emit(prefix + underline.strip()[0] * 3, "other")

    def _fenced_line(self, line: str) -> None:
        fence = self.fence
        assert fence is not None
        base = self.items[-1].content_column if self.items else 0
        if self.items and line.strip() and _indent_of(line) < base:
            # A line outside the item ends the item, and with it the fence.
            self.out.append(fence.prefix + fence.char * fence.length)
            self.fence = None
            self.previous = "other"
            self._line(line, None)
            return
        text = line[base:] if self.items else line
        if _is_fence_closer(text, fence):
            self._emit(fence.prefix + text.strip(), "other")
            self.out.append("")
            self.previous = "blank"
            self.fence = None
            return
        # Inside the fence: drop at most the opener's indentation, as CommonMark does.
        drop = min(fence.indent, _indent_of(text))
        fence.has_content = fence.has_content or bool(text.strip())
        self._emit(fence.prefix + text[drop:], "code")


def _escape_marker(text: str) -> str:
    """A lazy paragraph line that python-markdown would read as a list item."""
    m = _LIST_ITEM_RE.match(text)
    if m is None:
        return text
    return text[: m.end(2) - 1] + "\\" + text[m.end(2) - 1 :]


def normalize_blocks(lines: list[str]) -> list[str]:
    return _Normalizer().run(lines)


class CommonMarkBlocksPreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        return normalize_blocks(lines)
