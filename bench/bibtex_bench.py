"""How fast does papers.bibtex.parse_bibtex read a large dblp-style export?

Run from the project root: ``python bench/bibtex_bench.py [number of entries]``.
Generates dblp-like entries (a fifth of them with LaTeX accents in names or titles,
some arXiv papers), parses them once and prints entries per second.
"""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from papers.bibtex import parse_bibtex  # noqa: E402

VENUES = [
    ("conf", "nips", "Advances in Neural Information Processing Systems"),
    ("conf", "icml", "Proceedings of the International Conference on Machine Learning"),
    ("conf", "cvpr", "{IEEE} Conference on Computer Vision and Pattern Recognition, {CVPR}"),
    ("conf", "acl", "Proceedings of the Annual Meeting of the {ACL}"),
    ("journals", "jmlr", "J. Mach. Learn. Res."),
    ("journals", "corr", "CoRR"),
]
FIRST_NAMES = ["Ashish", "Noam", "Yoshua", "Geoffrey E.", "Samy", "Chiyuan", "Fei-Fei", "Jian"]
LAST_NAMES = ["Vaswani", "Bengio", "Hinton", "Zhang", "Li", "Sun", "Recht", "Hardt"]
ACCENTED_NAMES = ['J{\\"u}rgen Schmidhuber', 'Bernhard Sch{\\"o}lkopf', "{\\L}ukasz Kaiser"]
WORDS = (
    "deep learning networks attention generalization robust efficient sparse graph "
    "transformer policy gradient variational inference bayesian optimization"
).split()


def dblp_entry(number: int, rng: random.Random) -> str:
    root, venue, venue_text = rng.choice(VENUES)
    year = rng.randint(1995, 2024)
    names = [
        f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 6))
    ]
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))).capitalize()
    if number % 5 == 0:
        names[0] = rng.choice(ACCENTED_NAMES)
        title = f"{{BERT:}} {title} for na{{\\\"\\i}}ve caf{{\\'e}}s --- a study"
    key = f"DBLP:{root}/{venue}/Paper{number}"
    field_type, venue_field = (
        ("inproceedings", "booktitle") if root == "conf" else ("article", "journal")
    )
    author_lines = " and\n                  ".join(names)
    extra = ""
    if venue == "corr":
        arxiv_id = f"{year % 100:02d}{rng.randint(1, 12):02d}.{number % 100000:05d}"
        extra = (
            f"  volume       = {{abs/{arxiv_id}}},\n"
            f"  eprinttype    = {{arXiv}},\n"
            f"  eprint       = {{{arxiv_id}}},\n"
        )
    return (
        f"@{field_type}{{{key},\n"
        f"  author       = {{{author_lines}}},\n"
        f"  title        = {{{title}}},\n"
        f"  {venue_field:<12} = {{{venue_text}}},\n"
        f"  pages        = {{{number % 900 + 1}--{number % 900 + 12}}},\n"
        f"  year         = {{{year}}},\n"
        f"{extra}"
        f"  url          = {{https://example.org/paper/{number}}},\n"
        f"  doi          = {{10.1000/paper.{number}}},\n"
        f"  timestamp    = {{Thu, 21 Jan 2021 15:15:21 +0100}},\n"
        f"  biburl       = {{https://dblp.org/rec/{root}/{venue}/Paper{number}.bib}},\n"
        f"  bibsource    = {{dblp computer science bibliography, https://dblp.org}}\n"
        f"}}\n"
    )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(1)
    text = "\n".join(dblp_entry(number, rng) for number in range(count))
    print(f"{count} entries, {len(text) / 1e6:.1f} MB of BibTeX")

    started = time.perf_counter()
    result = parse_bibtex(text)
    elapsed = time.perf_counter() - started

    assert len(result.entries) == count, (len(result.entries), result.errors[:3])
    print(f"parse_bibtex: {elapsed:.2f} s, {count / elapsed:,.0f} entries/s")


if __name__ == "__main__":
    main()
