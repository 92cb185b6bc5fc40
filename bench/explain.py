"""EXPLAIN ANALYZE of the queries each main page runs, on the benchmark database, written to
docs/explain.md so that index choices can be checked against real plans.

    python bench/explain.py
"""

import datetime
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import dataset, run  # noqa: E402

DOC = ROOT / "docs" / "explain.md"


def main():
    os.environ.update(run.server_env(1, page_cache=False))
    dataset.main([])
    urls = run.pages()[1:]  # everything but the floor
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    out = [
        "# Query plans",
        "",
        f"EXPLAIN ANALYZE of every query the main pages run, on the benchmark data "
        f"({dataset.SHAPE}), PostgreSQL, {datetime.date.today().isoformat()}. "
        "Regenerate with `python bench/explain.py`.",
    ]
    for label, url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        out += ["", f"## {label}: `{url}` ({len(captured)} queries)"]
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF, TIMING ON) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            short = sql if len(sql) < 400 else sql[:400] + " …"
            out += ["", "```sql", short, "```", "", "```", plan, "```"]
    DOC.write_text("\n".join(out) + "\n")
    print(f"Written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
