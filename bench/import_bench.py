"""How long do 100,000 BibTeX entries and 100,000 arXiv records take to import into PostgreSQL?

Run from the project root: ``python bench/import_bench.py [number of entries]``. Uses its
own database (``ss_bench_import`` on the server of $BENCH_DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/ss_bench_import), creating and migrating it as needed
and emptying its paper tables first. Times parsing and the database work separately
(garbage collector off, batches of 2,000, one transaction), then each import command end
to end on empty tables (it parses in worker processes while writing: a first load), then a
re-run, which must change nothing, and last the arXiv records into a site that already holds
the BibTeX papers (not a first load). Prints wall time and the
CPU time of this process, its workers and its PostgreSQL backend: on a busy machine the CPU
times say what the work costs when it has the machine to itself.
"""

import gc
import io
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench.pg import backend_cpu_seconds, ensure_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ss_bench_import"
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
# As in production: with DEBUG on, Django would also keep and log every SQL statement.
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-throwaway-key")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shortscience.settings")


def arxiv_record(number: int, rng: random.Random) -> str:
    from bibtex_bench import FIRST_NAMES, LAST_NAMES, WORDS

    year = rng.randint(2015, 2024)  # five-digit numbers since 2015
    arxiv_id = f"{year % 100:02d}{rng.randint(1, 12):02d}.{number:05d}"
    names = [(rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)) for _ in range(rng.randint(1, 6))]
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14))).capitalize()
    abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(80, 200)))
    categories = " ".join(rng.sample(["cs.LG", "cs.AI", "stat.ML", "cs.CV", "cs.CL"], 2))
    record = {
        "id": arxiv_id,
        "submitter": names[0][1],
        "authors": ", ".join(f"{first} {last}" for last, first in names),
        "title": title + (' with $\\mathcal{O}(n)$ na\\"ive cost' if number % 7 == 0 else ""),
        "comments": "10 pages",
        "journal-ref": None,
        "doi": f"10.1000/arxiv.{number}" if number % 3 == 0 else None,
        "categories": categories,
        "abstract": "  " + abstract.replace(" ", "\n  ", 3) + "\n",
        "versions": [
            {"version": "v1", "created": f"Mon, 2 Apr {year} 19:18:42 GMT"},
            {"version": "v2", "created": f"Tue, 24 Jul {year} 20:10:27 GMT"},
        ],
        "update_date": f"{year}-07-24",
        "authors_parsed": [[last, first, ""] for last, first in names],
    }
    return json.dumps(record)


server_cpu_seconds = backend_cpu_seconds


def children_cpu_seconds() -> float:
    """CPU time of finished child processes (the import commands' parsing workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(label, function, *args, **kwargs):
    """Wall time, and CPU time of this process and of the database backend: on a busy
    machine the sum of the two CPU times is what the work costs when it has the machine."""
    server_before = server_cpu_seconds()
    cpu_before = time.process_time() + children_cpu_seconds()
    started = time.perf_counter()
    value = function(*args, **kwargs)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() + children_cpu_seconds() - cpu_before
    server = server_cpu_seconds() - server_before
    print(
        f"  {label:<34} {elapsed:6.2f} s wall, {cpu:6.2f} s CPU here + {server:5.2f} s CPU "
        f"in PostgreSQL = {cpu + server:6.2f} s"
    )
    return value, elapsed


def import_parsed(parsed, source):
    from papers.bibtex import ParseResult
    from papers.importing import (
        BATCH_SIZE,
        apply_import,
        batched_import,
        plan_import,
        prefer_index_scans,
    )

    totals = {"created": 0, "aliased": 0}
    with batched_import(expected=len(parsed.entries)):
        prefer_index_scans()
        for start in range(0, len(parsed.entries), BATCH_SIZE):
            batch = ParseResult(entries=parsed.entries[start : start + BATCH_SIZE])
            result = apply_import(plan_import(batch), source=source)
            totals["created"] += len(result.created)
            totals["aliased"] += len(result.aliased)
    return totals


def empty_paper_tables():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE papers_paper, papers_author, papers_keyword, papers_paperalias, "
            "papers_searchdocument, "
            "papers_authorship, papers_paper_keywords RESTART IDENTITY CASCADE"
        )


def bench(label, path, parse, command, source):
    from django.core.management import call_command

    print(label)
    empty_paper_tables()
    gc.disable()
    try:
        parsed, parse_seconds = timed("parse (one process)", parse, path)
        assert not parsed.errors, parsed.errors[:3]
        totals, db_seconds = timed("plan + apply (database)", import_parsed, parsed, source)
    finally:
        gc.enable()
    print(f"  {'parse, then database':<34} {parse_seconds + db_seconds:6.2f} s wall  {totals}")
    del parsed
    empty_paper_tables()
    for run in ("manage.py " + command, "re-run (changes nothing)"):
        out = io.StringIO()
        timed(run, call_command, command, str(path), "-v0", stdout=out)
        print(f"    {out.getvalue().strip()}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from bibtex_bench import dblp_entry
    from django.core.management import call_command
    from django.db import connection

    from papers.arxiv_metadata import parse_arxiv_snapshot
    from papers.bibtex import parse_bibtex
    from papers.importing import decode_bibtex_bytes, quiet_bibtexparser

    call_command("migrate", verbosity=0)
    quiet_bibtexparser()

    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as folder:
        bib = Path(folder) / "dblp.bib"
        bib.write_text("\n".join(dblp_entry(n, rng) for n in range(count)), encoding="utf-8")
        jsonl = Path(folder) / "arxiv.json"
        jsonl.write_text(
            "\n".join(arxiv_record(n, rng) for n in range(count)) + "\n", encoding="utf-8"
        )
        print(f"{count:,} entries each; {connection.vendor} {connection.settings_dict['NAME']}")

        def parse_bib(path):
            return parse_bibtex(decode_bibtex_bytes(path.read_bytes())[0])

        def parse_jsonl(path):
            with open(path, encoding="utf-8") as lines:
                return parse_arxiv_snapshot(lines)

        bench("BibTeX (dblp-like)", bib, parse_bib, "import_bibtex", "BibTeX import")
        bench("arXiv metadata snapshot", jsonl, parse_jsonl, "import_arxiv", "arXiv")

        # Not a first load: foreign keys checked row by row, the GIN index kept up to date.
        print("arXiv into a site that already has the BibTeX papers")
        empty_paper_tables()
        call_command("import_bibtex", str(bib), "-v0", stdout=io.StringIO())
        out = io.StringIO()
        timed("manage.py import_arxiv", call_command, "import_arxiv", str(jsonl), "-v0", stdout=out)
        print(f"    {out.getvalue().strip()}")


if __name__ == "__main__":
    main()
