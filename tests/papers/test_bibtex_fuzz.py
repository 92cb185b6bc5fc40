"""papers.bibtex against mangled input: seeded, so every run checks the same cases."""

import random

import pytest

from papers.bibtex import entry_to_bibtex, parse_bibtex
from tests import corpora

CORPUS = corpora.BIBTEX
SAMPLE = """\
@string{nips = {Advances in Neural Information Processing Systems}}
@inproceedings{DBLP:conf/nips/VaswaniSPUJGKP17,
  author    = {Ashish Vaswani and Noam Shazeer and {\\L}ukasz Kaiser and others},
  title     = {Attention is All you Need -- {$O(n^2)$} na{\\"\\i}ve},
  booktitle = nips # " 30",
  year      = {2017},
  month     = dec,
  url       = {https://arxiv.org/abs/1706.03762\\_x},
}
"""
DEBRIS = ["{", "}", '"', "\\", "@", ",", "=", "#", "$", "~", "--", "\n", " and ", "%", "(", ")"]
ALPHABET = list("ab $\\{}~-`'\"%#&_^@,=()é") + ["$$", "\\$", "\\{", "``", "\\emph{", "@misc{"]


def mangle(text, rng):
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        position = rng.randrange(len(chars) + 1)
        if rng.random() < 0.5 and position < len(chars):
            del chars[position]
        else:
            chars.insert(position, rng.choice(DEBRIS))
    return "".join(chars)


def sources():
    texts = [SAMPLE]
    texts += [path.read_text(encoding="utf-8") for path in corpora.BIBTEX_FILES]
    return [text for text in texts if text.strip()]


@pytest.mark.parametrize("seed", range(4))
def test_mangled_bibtex_never_raises_and_what_parses_can_be_written(seed):
    rng = random.Random(seed)
    texts = sources()
    for _ in range(150):
        result = parse_bibtex(mangle(rng.choice(texts), rng))

        for error in result.errors:
            assert error.line >= 1
            assert f"line {error.line}" in error.message
        for entry in result.entries:
            assert entry.key and entry.title and entry.line >= 1
            written = entry_to_bibtex(
                key=entry.key, entry_type=entry.entry_type, fields=entry.fields
            )
            assert parse_bibtex(written).entries[0].fields == entry.fields


@pytest.mark.parametrize("seed", range(4))
def test_random_values_round_trip(seed):
    rng = random.Random(seed)
    for _ in range(250):
        value = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 20)))
        fields = {"title": f"T{value}", "note": value, "url": value}

        written = entry_to_bibtex(key="k", entry_type="misc", fields=fields)

        result = parse_bibtex(written)
        assert result.errors == []
        assert result.entries[0].fields == {name: " ".join(v.split()) for name, v in fields.items()}
