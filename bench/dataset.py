"""The benchmark database: 100,000 papers over 50 venues and 10 years, 20,000 public summaries
(with math and citations, HTML rendered by the real pipeline), 2,000 users, 100,000 votes and
10,000 comments, built with bulk inserts into PostgreSQL and reused between runs.

    python bench/dataset.py [--rebuild]

The database is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ss_bench).
"""

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.pg import ensure_database  # noqa: E402

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ss_bench"
)
# Bump when the generated data changes shape, so an old database is rebuilt.
DATASET_VERSION = "2"  # 2: with search documents

PAPERS = 100_000
VENUES = 50
YEARS = range(2015, 2025)
USERS = 2_000
AUTHORS = 40_000
SUMMARIZED_PAPERS = 4_000  # each gets SUMMARIES_PER_PAPER summaries: 20,000 in all
SUMMARIES_PER_PAPER = 5
VOTES = 100_000
COMMENTS = 10_000
BATCH = 5_000

WORDS = (
    "learning deep neural network training gradient attention graph convolutional "
    "representation generative adversarial variational inference bayesian reinforcement "
    "policy optimization stochastic robust sparse efficient scalable transformer language "
    "vision detection segmentation embedding contrastive self-supervised causal kernel "
    "recurrent memory retrieval diffusion uncertainty calibration federated privacy"
).split()
FIRST = "Ada Alan Grace Kurt Emmy John Mary Yann Fei Andrew Daphne Judea Leslie Barbara".split()
LAST = "Lovelace Turing Hopper Godel Noether Neumann Shelley Chen Li Ng Koller Pearl Liskov".split()
KEYWORDS = ["dblp", "cs.LG", "cs.CV", "cs.CL", "stat.ML", "cs.AI", "cs.NE", "cs.RO"]


def summary_source(rng, cited_keys):
    """A 1-2 KB summary with inline and display math, a list, and two citations."""
    a, b = cited_keys
    topic = " ".join(rng.sample(WORDS, 4))
    return (
        f"This paper studies {topic}. The model minimises a regularised loss\n\n"
        "$$\\mathcal{L}(\\theta) = \\frac{1}{N}\\sum_{i=1}^{N} \\ell(f_\\theta(x_i), y_i)"
        " + \\lambda \\|\\theta\\|_2^2$$\n\n"
        f"where $\\lambda > 0$ trades fit for simplicity. Compared with \\cite{{{a}}}, the key"
        f" change is a {rng.choice(WORDS)} step with cost $O(n \\log n)$ instead of $O(n^2)$.\n\n"
        "## What to take away\n\n"
        f"- The {rng.choice(WORDS)} variant improves accuracy by "
        f"{rng.randint(1, 9)}.{rng.randint(0, 9)} points.\n"
        "- Training is stable for learning rates $\\eta \\in [10^{-4}, 10^{-2}]$.\n"
        f"- It builds on \\cite{{{b}}} and keeps its $\\mathbb{{E}}_{{x \\sim p}}[\\cdot]$"
        " objective.\n\n" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 160))) + ".\n"
    )


def setup_django():
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ["DJANGO_SETTINGS_MODULE"] = "shortscience.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def is_current():
    from papers.models import Venue

    marker = Venue.objects.filter(key="bench/dataset").values_list("description", flat=True)
    return list(marker) == [DATASET_VERSION]


def bulk(model, rows, batch=BATCH):
    for start in range(0, len(rows), batch):
        model.objects.bulk_create(rows[start : start + batch], batch_size=batch)


def generate(rng):
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from papers import search
    from papers.models import Author, Authorship, Keyword, Paper, Venue
    from summaries import rendering, teasers
    from summaries.models import Citation, Comment, Summary, Vote, citation_targets, hotness

    started = time.perf_counter()

    def step(message):
        print(f"  {time.perf_counter() - started:6.1f}s  {message}", flush=True)

    with transaction.atomic():
        venues = [
            Venue(
                key=f"conf/bench{v:02d}",
                name=f"Benchmark Conference {v:02d}",
                short_name=f"BC{v:02d}",
            )
            for v in range(VENUES)
        ]
        bulk(Venue, venues)
        venues = list(Venue.objects.filter(key__startswith="conf/bench").order_by("key"))
        keywords = [Keyword.objects.get_or_create(name=name)[0] for name in KEYWORDS]

        unusable = make_password(None)
        bulk(
            User,
            [
                User(
                    username=f"reader{i:04d}",
                    password=unusable,
                    display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
                )
                for i in range(USERS)
            ],
        )
        users = list(User.objects.filter(username__startswith="reader").order_by("pk"))
        step(f"{len(venues)} venues, {len(users)} users")

        bulk(
            Author,
            [
                Author(name=f"{rng.choice(FIRST)} {rng.choice(LAST)}-{i}", slug=f"bench-author-{i}")
                for i in range(AUTHORS)
            ],
        )
        author_ids = list(
            Author.objects.filter(slug__startswith="bench-author-").values_list("pk", flat=True)
        )

        papers = []
        for i in range(PAPERS):
            venue = venues[i % VENUES]
            year = YEARS[(i // VENUES) % len(YEARS)]
            title = " ".join(rng.sample(WORDS, rng.randint(5, 10))).capitalize()
            papers.append(
                Paper(
                    bibtex_key=f"{venue.key}/Paper{i:06d}",
                    entry_type="inproceedings",
                    title=title,
                    venue=venue,
                    year=year,
                    source="Benchmark",
                    arxiv_id=f"{year % 100:02d}{(i % 12) + 1:02d}.{i:05d}" if i % 2 else "",
                    abstract=" ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 140))),
                )
            )
        bulk(Paper, papers)
        paper_ids = list(
            Paper.objects.filter(source="Benchmark").order_by("pk").values_list("pk", flat=True)
        )
        keys = dict(Paper.objects.filter(source="Benchmark").values_list("pk", "bibtex_key"))
        step(f"{len(paper_ids)} papers")

        authorships = [
            Authorship(paper_id=pid, author_id=aid, position=pos)
            for pid in paper_ids
            for pos, aid in enumerate(rng.sample(author_ids, rng.randint(2, 5)))
        ]
        bulk(Authorship, authorships, batch=20_000)
        through = Paper.keywords.through
        bulk(
            through,
            [
                through(paper_id=pid, keyword_id=k.pk)
                for pid in paper_ids
                for k in rng.sample(keywords, rng.randint(1, 2))
            ],
            batch=20_000,
        )
        step(f"{len(authorships)} authorships and keywords")

        # A hundred distinct texts, each rendered once through the real pipeline.
        texts = []
        for _ in range(100):
            cited = [keys[rng.choice(paper_ids)] for _ in range(2)]
            source = summary_source(rng, cited)
            result = rendering.render_markdown(source, resolve_citations=citation_targets)
            texts.append(
                (source, result.html, result.cited_keys, rendering.plain_text(result.html))
            )
        step("100 summary texts rendered")

        now = timezone.now()
        summaries = []
        for pid in paper_ids[:SUMMARIZED_PAPERS]:
            for writer in rng.sample(users, SUMMARIES_PER_PAPER):
                source, html, _, text = rng.choice(texts)
                created = now - datetime.timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60))
                summaries.append(
                    Summary(
                        paper_id=pid,
                        author=writer,
                        source=source,
                        html=html,
                        teaser=teasers.cut(html),
                        html_version=rendering.PIPELINE_VERSION,
                        plain_text=text,
                        created=created,
                        edited=created,
                    )
                )
        bulk(Summary, summaries)
        summary_rows = list(
            Summary.objects.filter(paper__source="Benchmark").values_list(
                "pk", "author_id", "source", "created"
            )
        )
        cited_by_source = {source: cited for source, _, cited, _ in texts}
        by_key = {key: pid for pid, key in keys.items()}
        bulk(
            Citation,
            [
                Citation(summary_id=sid, cited_key=key, paper_id=by_key.get(key))
                for sid, _, source, _ in summary_rows
                for key in cited_by_source[source]
            ],
            batch=20_000,
        )
        step(f"{len(summary_rows)} summaries with citations")

        votes, seen = [], set()
        while len(votes) < VOTES:
            sid, writer_id, _, _ = rng.choice(summary_rows)
            voter = rng.choice(users)
            if voter.pk == writer_id or (sid, voter.pk) in seen:
                continue
            seen.add((sid, voter.pk))
            votes.append(
                Vote(summary_id=sid, user_id=voter.pk, value=1 if rng.random() < 0.8 else -1)
            )
        bulk(Vote, votes, batch=20_000)
        comment_texts = [(f"Nice point about ${w}_i$: does it hold for {w}?",) for w in WORDS]
        comment_html = {
            t[0]: rendering.render_markdown(t[0], allow_headings=False, allow_images=False).html
            for t in comment_texts
        }
        comments = []
        for _ in range(COMMENTS):
            sid = rng.choice(summary_rows)[0]
            text = rng.choice(comment_texts)[0]
            comments.append(
                Comment(
                    summary_id=sid, author=rng.choice(users), source=text, html=comment_html[text]
                )
            )
        bulk(Comment, comments)
        step(f"{len(votes)} votes, {len(comments)} comments")

        with connection.cursor() as cursor:
            cursor.execute("""
                UPDATE summaries_summary s SET
                  score = COALESCE((SELECT SUM(value) FROM summaries_vote v
                                    WHERE v.summary_id = s.id), 0),
                  comment_count = (SELECT COUNT(*) FROM summaries_comment c
                                   WHERE c.summary_id = s.id)
            """)
            cursor.execute("""
                UPDATE papers_paper p SET public_summary_count = sub.n
                FROM (SELECT paper_id, COUNT(*) n FROM summaries_summary GROUP BY paper_id) sub
                WHERE sub.paper_id = p.id
            """)
            cursor.execute("""
                UPDATE accounts_user u SET public_summary_count = sub.n, reputation = sub.rep
                FROM (SELECT author_id, COUNT(*) n, AVG(score) rep FROM summaries_summary
                      GROUP BY author_id) sub
                WHERE sub.author_id = u.id
            """)
        updated = [
            Summary(pk=pk, hotness=hotness(score, created))
            for pk, score, created in Summary.objects.values_list("pk", "score", "created")
        ]
        Summary.objects.bulk_update(updated, ["hotness"], batch_size=BATCH)
        step("scores, counts, reputations and popularity")
        # Search documents, as the site keeps them: the search page must find something.
        search.reindex_ids(list(Paper.objects.values_list("pk", flat=True)))
        step("search documents")
        Venue.objects.create(
            key="bench/dataset", name="Benchmark dataset marker", description=DATASET_VERSION
        )

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    step("VACUUM ANALYZE done")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="drop and regenerate the data")
    args = parser.parse_args(argv)
    ensure_database(BENCH_DATABASE_URL, rebuild=args.rebuild)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if is_current():
        print(f"Benchmark data already in {BENCH_DATABASE_URL} (dataset v{DATASET_VERSION}).")
        return
    from papers.models import Paper

    if Paper.objects.exists():
        raise SystemExit(f"{BENCH_DATABASE_URL} holds other or older data: run with --rebuild.")
    print(f"Generating benchmark data in {BENCH_DATABASE_URL} ...", flush=True)
    generate(random.Random(2026))
    print("Done.")


# The shape of the data, for the report.
SHAPE = (
    f"{PAPERS:,} papers across {VENUES} venues and {len(YEARS)} years, "
    f"{SUMMARIZED_PAPERS * SUMMARIES_PER_PAPER:,} public summaries with math and citations, "
    f"{USERS:,} users, {VOTES:,} votes, {COMMENTS:,} comments"
)

if __name__ == "__main__":
    main()
