"""Page views and "Popular today" on the benchmark data, measured in one process.

On the benchmark database (bench/dataset.py; BENCH_DATABASE_URL) with 90 days of views for
every summarized paper (4,000 papers, 360,000 day rows) and views today for most of them:

- the home page's Popular today tab against the Recent tab, rendered through the whole stack
  (Django's test client; page cache off, so every request renders), and the SQL of its list;
- what counting costs a request: the count_views middleware around a response that is already
  there (as a page-cache hit is), for readers (counted) and bots (not), with the cache in use
  (Redis with REDIS_URL, else the local-memory cache);
- writing a batch of 200 views of 200 papers (what a flush does);
- a writer's settings page with the 90-day chart.

    BENCH_DATABASE_URL=postgres://... .venv/bin/python bench/views_bench.py [--runs 50]
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import dataset  # noqa: E402

DAYS = 90


def median_ms(function, runs):
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def fill_views(rng):
    from django.db import connection

    from papers.models import Paper, PaperViewDay

    PaperViewDay.objects.all().delete()
    today = datetime.datetime.now(datetime.UTC).date()
    ids = list(Paper.objects.filter(public_summary_count__gt=0).values_list("pk", flat=True))
    rows = []
    for paper_id in ids:
        for back in range(DAYS):
            if back == 0 and rng.random() < 0.2:
                continue  # not read yet today
            rows.append(
                PaperViewDay(
                    paper_id=paper_id,
                    day=today - datetime.timedelta(days=back),
                    views=rng.randint(1, 40),
                )
            )
    PaperViewDay.objects.bulk_create(rows, batch_size=10_000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE papers_paperviewday")
    return len(ids), len(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    os.environ["PAGE_CACHE"] = "0"
    dataset.setup_django()
    from django.conf import settings
    from django.db import connection
    from django.http import HttpResponse
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from papers import viewcounts
    from papers.models import Paper
    from summaries.models import Summary
    from summaries.popular import PopularToday

    settings.ALLOWED_HOSTS = ["*"]
    # No collectstatic here: static URLs without the manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.VIEW_FLUSH_SECONDS = settings.VIEW_FLUSH_VIEWS = 10**9
    rng = random.Random(18)
    papers, rows = fill_views(rng)
    print(f"{papers:,} summarized papers with {rows:,} days of views", flush=True)

    client = Client()
    results = {}
    for tab in ("popular", "recent"):
        results[f"home, {tab} (whole page, ms)"] = median_ms(
            lambda tab=tab: client.get(f"/?tab={tab}"), args.runs
        )
    public = Summary.objects.public()
    results["Popular today, first page of 20 and counts (ms)"] = median_ms(
        lambda: (lambda p: (p[0:20], p.count()))(PopularToday(public)), args.runs
    )
    results["Popular today, page 300 (ms)"] = median_ms(
        lambda: PopularToday(public)[6000:6020], args.runs
    )
    results["popular (hotness), first page of 20 and count (ms)"] = median_ms(
        lambda: (
            list(public.popular().select_related("author", "paper__venue")[:20]),
            public.count(),
        ),
        args.runs,
    )

    key = Paper.objects.filter(public_summary_count__gt=0).values_list("bibtex_key", flat=True)[0]
    factory = RequestFactory()
    counter = viewcounts.count_views(lambda request: HttpResponse("page"))
    browser = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    readers = iter(range(10**9))

    def view(agent):
        number = next(readers)
        address = f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"
        counter(factory.get(f"/paper/{key}/", HTTP_USER_AGENT=agent, REMOTE_ADDR=address))

    with CaptureQueriesContext(connection) as queries:
        view(browser)
    assert not queries.captured_queries, "counting must not query"
    runs = args.runs * 20
    results["count a reader's view (µs)"] = median_ms(lambda: view(browser), runs) * 1000
    results["leave out a bot (µs)"] = median_ms(lambda: view("Googlebot/2.1"), runs) * 1000
    viewcounts.buffer.take()

    keys = list(
        Paper.objects.filter(public_summary_count__gt=0).values_list("bibtex_key", flat=True)[:200]
    )
    today = datetime.datetime.now(datetime.UTC).date()

    def batch():
        for paper_key in keys:
            viewcounts.buffer.add(today, paper_key)
        viewcounts.flush()

    results["flush 200 views of 200 papers (ms)"] = median_ms(batch, max(args.runs // 5, 5))

    writer = User.objects.order_by("-public_summary_count").first()
    client.force_login(writer)
    results[f"settings page with chart, {writer.public_summary_count} papers (ms)"] = median_ms(
        lambda: client.get("/accounts/settings/"), args.runs
    )

    for label, value in results.items():
        print(f"{label:55} {value:8.2f}")


if __name__ == "__main__":
    main()
