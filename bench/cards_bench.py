"""CPU cost of rendering list pages for a signed-in reader, measured in one process.

Builds a small SQLite database of its own (300 papers, each with one or two summaries whose
HTML comes from the real pipeline, with math and citations), signs a reader in through
Django's test client and times the home page with 30 cards: process CPU time per request
after a warm-up, so the figure is the server's work, not the machine's load.

    .venv/bin/python bench/cards_bench.py [--cache [--after-write]] [--runs 300] [--path /]
        [--profile]

--cache turns on the page cache's shared cache (PAGE_CACHE=1: a per-process cache here, or
Redis with REDIS_URL), which is what enables the card fragments; without it every card is
rendered. --after-write empties the cache before each request, so every fragment is
rendered and stored again, as on the first request after a write.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATABASE = Path(os.environ.get("CARDS_BENCH_DB", "/tmp/shortscience-cards-bench.sqlite3"))
PAPERS = 300
SOURCES = [
    "The model minimizes $\\mathcal{L}(\\theta) = -\\sum_i \\log p_\\theta(y_i \\mid x_i)$ "
    "with a **shared encoder**, as in \\cite{bench/p0001}.\n\n$$\\mathrm{softmax}(QK^\\top / "
    "\\sqrt{d_k}) V$$\n\nTwo findings:\n\n1. depth matters less than width;\n2. data "
    "matters most.\n\n" + "The experiments cover vision and language. " * 20,
    "A short note: the method is $O(n \\log n)$ and beats the baseline by $2.1$ points "
    "on average. " * 6,
    "## Idea\n\nSample $z \\sim q(z \\mid x)$ and maximize $\\mathbb{E}_q[\\log p(x, z) - "
    "\\log q(z)]$.\n\n```python\nloss = kl + nll\n```\n\n" + "Plain prose follows. " * 40,
]


def configure(cache):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shortscience.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["SQLITE_PATH"] = str(DATABASE)
    os.environ["PAGE_CACHE"] = "1" if cache else "0"
    os.environ["PAGE_SIZE"] = "30"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["REQUEST_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def build():
    import datetime
    import random

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from papers.models import Author, Authorship, Keyword, Paper, Venue
    from summaries.models import (
        Comment,
        ModerationState,
        Summary,
        Vote,
        hotness,
        render_summary_source,
    )

    DATABASE.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    venues = [
        Venue.objects.create(key=f"bench/v{i}", name=f"Bench Venue {i}", short_name=f"BV{i}")
        for i in range(5)
    ]
    authors = Author.objects.bulk_create(
        Author(name=f"Author Number{i}", slug=f"author-number{i}") for i in range(400)
    )
    keywords = Keyword.objects.bulk_create(Keyword(name=f"cs.K{i}") for i in range(12))
    papers = Paper.objects.bulk_create(
        Paper(
            bibtex_key=f"bench/p{i:04d}",
            title=f"A study of {rng.choice(['attention', 'graphs', 'priors'])} number {i}",
            venue=rng.choice(venues),
            year=rng.randrange(2015, 2025),
            abstract="An abstract of moderate length. " * 20,
        )
        for i in range(PAPERS)
    )
    Authorship.objects.bulk_create(
        Authorship(paper=paper, author=author, position=position)
        for paper in papers
        for position, author in enumerate(rng.sample(authors, 4))
    )
    Paper.keywords.through.objects.bulk_create(
        Paper.keywords.through(paper=paper, keyword=keyword)
        for paper in papers
        for keyword in rng.sample(keywords, 3)
    )
    writers = [
        User.objects.create_user(f"writer{i}", display_name=f"Writer {i}") for i in range(50)
    ]
    reader = User.objects.create_user("reader", password="bench")
    htmls = [render_summary_source(source).html for source in SOURCES]
    now = timezone.now()
    summaries = []
    for paper in papers:
        for writer in rng.sample(writers, rng.choice([1, 2])):
            created = now - datetime.timedelta(hours=rng.randrange(1, 5000))
            score = rng.randrange(-2, 30)
            index = rng.randrange(len(SOURCES))
            summaries.append(
                Summary(
                    paper=paper,
                    author=writer,
                    source=SOURCES[index],
                    html=htmls[index],
                    score=score,
                    hotness=hotness(score, created),
                    comment_count=rng.randrange(0, 4),
                    created=created,
                    edited=created,
                    is_anonymous=rng.random() < 0.1,
                )
            )
    summaries = Summary.objects.bulk_create(summaries)
    Vote.objects.bulk_create(
        Vote(summary=summary, user=reader, value=rng.choice([1, -1]))
        for summary in rng.sample(summaries, 100)
    )
    # Some of one writer's summaries are private, hidden or anonymous; some have comments.
    mine = Summary.objects.filter(author=writers[1]).order_by("pk")
    Summary.objects.filter(pk=mine[0].pk).update(is_private=True, share_token="bench-share")
    Summary.objects.filter(pk=mine[1].pk).update(
        state=ModerationState.HIDDEN, moderation_reason="Off topic <b>here</b>"
    )
    Summary.objects.filter(pk=mine[2].pk).update(is_anonymous=True)
    comment_html = render_summary_source("A comment with $x^2$.").html
    Comment.objects.bulk_create(
        Comment(
            summary=summary, author=rng.choice(writers + [reader]), source="c", html=comment_html
        )
        for summary in rng.sample(summaries, 60)
    )
    Paper.objects.all().update_search_vectors()
    print(f"built {DATABASE}: {len(papers)} papers, {len(summaries)} summaries")


def measure(path, runs, profile, after_write):
    from django.core.cache import cache
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="reader"))
    for _ in range(20):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    cards = response.content.decode().count('class="card"')
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            client.get(path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            int(os.environ.get("LINES", "30"))
        )
        return
    cpu, wall = [], []
    for _ in range(runs):
        if after_write:
            cache.clear()  # the worst case: no fragment cached (writes end only what they change)
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        client.get(path)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started_wall) * 1000)
    cpu.sort()
    print(
        f"{path} signed in, {cards} cards, {len(response.content) // 1024} KB, {runs} runs: "
        f"CPU median {statistics.median(cpu):.2f} ms, p95 {cpu[int(len(cpu) * 0.95)]:.2f} ms; "
        f"wall median {statistics.median(wall):.2f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", action="store_true", help="turn the shared cache on")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--path", default="/")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--after-write", action="store_true", help="time first renders after a write"
    )
    args = parser.parse_args()
    configure(args.cache)
    if args.rebuild or not DATABASE.exists():
        build()
    measure(args.path, args.runs, args.profile, args.after_write)


if __name__ == "__main__":
    main()
