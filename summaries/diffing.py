"""A readable diff between two revisions: by line, then by word inside changed lines."""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

WORDS = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Piece:
    kind: str  # "same", "added" or "removed"
    text: str


@dataclass(frozen=True)
class Diff:
    pieces: list
    added_words: int
    removed_words: int

    @property
    def unchanged(self):
        return not (self.added_words or self.removed_words)


def diff_texts(old, new):
    pieces = []
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    lines = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in lines.get_opcodes():
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if tag == "equal":
            pieces.append(Piece("same", before))
        elif tag == "replace":
            pieces.extend(_diff_words(before, after))
        else:
            pieces.append(Piece("removed" if before else "added", before or after))
    merged = _merge(pieces)
    return Diff(
        pieces=merged,
        added_words=sum(_count_words(p.text) for p in merged if p.kind == "added"),
        removed_words=sum(_count_words(p.text) for p in merged if p.kind == "removed"),
    )


def _diff_words(old, new):
    a, b = WORDS.findall(old), WORDS.findall(new)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            yield Piece("same", "".join(a[i1:i2]))
            continue
        if i2 > i1:
            yield Piece("removed", "".join(a[i1:i2]))
        if j2 > j1:
            yield Piece("added", "".join(b[j1:j2]))


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
