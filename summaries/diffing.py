"""A readable diff between two revisions, word by word, with bounded work.

The diff is Myers' algorithm from diff-match-patch run on tokens (each distinct word, line or
paragraph mapped to one character). Each level has a time budget; when the word diff runs out
of time (or the texts are too long for it), the diff is redone by line, then by paragraph,
and the page says so. Any two revisions of the largest summary diff in well under a second."""

import re
import time
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

WORDS = re.compile(r"\s+|\w+|[^\w\s]")
PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n\s*)")

# Above this many characters (both texts together) the word level is skipped outright.
WORD_DIFF_MAX_CHARS = 250_000


def _words(text):
    return WORDS.findall(text)


def _lines(text):
    return text.splitlines(keepends=True)


def _paragraphs(text):
    return [part for part in PARAGRAPH_BREAK.split(text) if part]


# (level, tokenizer, seconds it may take, what the page says when the diff is at this level)
LEVELS = (
    ("word", _words, 0.2, ""),
    ("line", _lines, 0.1, "These revisions differ too much to compare word by word: "),
    ("paragraph", _paragraphs, 0.1, "These revisions differ too much to compare line by line: "),
)


@dataclass(frozen=True)
class Piece:
    kind: str  # "same", "added" or "removed"
    text: str


@dataclass(frozen=True)
class Diff:
    pieces: list
    added_words: int
    removed_words: int
    level: str = "word"
    # False when even the coarsest diff ran out of time: the middle is shown removed and added.
    complete: bool = True

    @property
    def unchanged(self):
        return not (self.added_words or self.removed_words)

    @property
    def note(self):
        """What the page says when the diff is coarser than word by word."""
        if not self.complete:
            return (
                "These revisions differ too much to compare word by word or line by line: "
                "the part that changed is shown whole."
            )
        for level, _, _, note in LEVELS:
            if level == self.level and note:
                return f"{note}changes are shown by {level}."
        return ""


class _BoundedDiff(diff_match_patch):
    """diff-match-patch that remembers whether it ran out of time (it then answers coarsely)."""

    timed_out = False

    def diff_bisect(self, text1, text2, deadline):
        diffs = super().diff_bisect(text1, text2, deadline)
        if time.time() > deadline:
            self.timed_out = True
        return diffs


def diff_texts(old, new):
    start = 0 if len(old) + len(new) <= WORD_DIFF_MAX_CHARS else 1
    tried = None
    for level, tokenize, seconds, _ in LEVELS[start:]:
        old_tokens, new_tokens = tokenize(old), tokenize(new)
        count = len(old_tokens) + len(new_tokens)
        if tried is not None and count > 0.8 * tried[1]:
            continue  # hardly coarser than the level that ran out of time: no faster
        pieces, complete = _diff_tokens(old_tokens, new_tokens, seconds)
        tried = (level, count)
        if complete:
            break
    level = tried[0]
    merged = _merge(pieces)
    return Diff(
        pieces=merged,
        added_words=sum(_count_words(p.text) for p in merged if p.kind == "added"),
        removed_words=sum(_count_words(p.text) for p in merged if p.kind == "removed"),
        level=level,
        complete=complete,
    )


def _diff_tokens(old_tokens, new_tokens, seconds):
    """Diff two token lists; returns the pieces and whether the diff finished in time."""
    # Each distinct token becomes one character (skipping the surrogates, which are not text).
    distinct = list(dict.fromkeys(old_tokens + new_tokens))
    chars = [chr(i if i < 0xD800 else i + 0x800) for i in range(len(distinct))]
    char_of = dict(zip(distinct, chars, strict=True))
    token_of = dict(zip(chars, distinct, strict=True))
    old_chars = "".join(map(char_of.__getitem__, old_tokens))
    new_chars = "".join(map(char_of.__getitem__, new_tokens))
    differ = _BoundedDiff()
    differ.Diff_Timeout = seconds
    ops = differ.diff_main(old_chars, new_chars, checklines=False)
    kinds = {differ.DIFF_EQUAL: "same", differ.DIFF_INSERT: "added", differ.DIFF_DELETE: "removed"}
    pieces = [Piece(kinds[op], "".join(map(token_of.__getitem__, text))) for op, text in ops]
    return pieces, not differ.timed_out


def _merge(pieces):
    merged = []
    for piece in pieces:
        if not piece.text:
            continue
        if merged and merged[-1].kind == piece.kind:
            merged[-1] = Piece(piece.kind, merged[-1].text + piece.text)
        else:
            merged.append(piece)
    return merged


def _count_words(text):
    return len(re.findall(r"\S+", text))
