"""Page benchmark: serve the benchmark database with gunicorn and production settings, drive
each page with wrk on loopback, and compare every page with a trivial "floor" view served by
the same gunicorn in the same run. Results go to stdout and docs/benchmarks.md.

    python bench/run.py [--duration 10] [--connections 8] [--workers 4]
"""

import argparse
import datetime
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import dataset  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
PORT = 8765
START, END = "<!-- bench:pages:start -->", "<!-- bench:pages:end -->"


REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")


def server_env(workers, *, page_cache=True):
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": dataset.BENCH_DATABASE_URL,
        "DJANGO_SECRET_KEY": "benchmark-only-not-a-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "BENCH_FLOOR": "1",
        "REDIS_URL": REDIS_URL,
        "PAGE_CACHE": "1" if page_cache else "0",
        "WEB_CONCURRENCY": str(workers),
    }


def pages():
    """The URLs to measure, picked from the benchmark data."""
    dataset.setup_django()
    from accounts.models import User
    from papers.models import Paper

    paper = Paper.objects.filter(source="Benchmark", public_summary_count=5).order_by("pk").first()
    writer = (
        User.objects.filter(username__startswith="reader")
        .order_by("-public_summary_count", "pk")
        .first()
    )
    urls = [
        ("floor (trivial view)", "/bench/floor/"),
        ("home, popular", "/?tab=popular"),
        ("home, recent", "/?tab=recent"),
        ("home, top", "/?tab=top"),
        ("paper with 5 summaries", paper.get_absolute_url()),
        ("venue-year", f"/venue/{paper.venue.key}/{paper.year}/"),
        ("profile", writer.get_absolute_url()),
    ]
    from django.urls import NoReverseMatch, reverse

    for label, name, args in [
        ("search", "papers:search", []),
        ("feed (RSS)", "feeds:latest_rss", []),
    ]:
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            continue
        urls.append((label, url + ("?q=attention+transformer" if label == "search" else "")))
    return urls


# What every browser sends; cached pages are stored compressed and sent so to such clients.
ACCEPT_ENCODING = "gzip, deflate, br"


def wrk(url, *, duration, connections, cookie=""):
    result = subprocess.run(
        [
            *("wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"),
            *("-H", f"Accept-Encoding: {ACCEPT_ENCODING}"),
            *(("-H", f"Cookie: {cookie}") if cookie else ()),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout

    def latency(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    def size(match):
        units = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}
        return float(match.group(1)) * units[match.group(2)]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    transfer = size(re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", out))
    return {
        "rps": rps,
        "kb": transfer / rps / 1024 if rps else 0.0,
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def start_server(workers, *, page_cache):
    env = server_env(workers, page_cache=page_cache)
    log = open(ROOT / "bench" / ".data" / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "shortscience.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--no-control-socket",
            "--access-logfile",
            "-",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start; see bench/.data/gunicorn.log")


def machine():
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB, {platform.system()} {platform.release()}"


def versions():
    import django
    import gunicorn
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0].split()[0]
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, gunicorn "
        f"{gunicorn.__version__}, PostgreSQL {pg}, {' '.join(wrk_version[:2])}"
    )


def table(rows, query_counts):
    floor = rows[0][2]["rps"]
    lines = [
        "| page | requests/s | p50 ms | p99 ms | vs floor | KB sent | SQL queries | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, url, r in rows:
        lines.append(
            f"| {label} (`{url}`) | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
            f"{r['rps'] / floor:.2f}× | {r['kb']:.1f} | {query_counts.get(url, '')} | "
            f"{r['errors']} |"
        )
    return lines


def report(runs, *, duration, connections, workers):
    lines = [
        START,
        f"### Pages ({datetime.date.today().isoformat()})",
        "",
        f"- Machine: {machine()}",
        f"- Software: {versions()}",
        f"- Data: {dataset.SHAPE}",
        f"- Server: gunicorn, {workers} sync workers, production settings (DEBUG off, "
        f"WhiteNoise), on loopback; load: wrk, 2 threads, {connections} connections, "
        f"{duration} s per page after a warm-up, sending `Accept-Encoding: {ACCEPT_ENCODING}` "
        "as browsers do. KB sent: per response, headers included. SQL queries: what one "
        "render without the shared cache runs (signed in: with the session and the reader's "
        "votes).",
    ]
    for title, rows, counts in runs:
        lines += ["", f"#### {title}", "", *table(rows, counts)]
    lines += ["", END]
    return "\n".join(lines)


def signed_in_cookie():
    """A session of a reader who votes (as a browser would send it, with its CSRF cookie)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    from accounts.models import User

    reader = User.objects.filter(username__startswith="reader").order_by("pk").first()
    session = SessionStore()
    session[SESSION_KEY] = str(reader.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = reader.get_session_auth_hash()
    session.create()
    csrf = get_random_string(32)
    return (
        f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}",
        reader.username,
    )


def count_queries(urls, cookie=""):
    """SQL queries each page runs, measured in-process on the same data."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    for pair in filter(None, cookie.split("; ")):
        name, value = pair.split("=", 1)
        client.cookies[name] = value
    counts = {}
    for _, url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        counts[url] = len(captured)
    return counts


def write_doc(section, *, doc=DOC, start=START, end=END, title="# Benchmarks"):
    """Replace the section between `start` and `end` markers in `doc` (or append it)."""
    doc.parent.mkdir(exist_ok=True)
    text = doc.read_text() if doc.exists() else title + "\n"
    if start in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    doc.write_text(text)


def measure(urls, args, *, page_cache, query_counts, cookie=""):
    server = start_server(args.workers, page_cache=page_cache)
    rows = []
    try:
        if cookie:  # the pages measured must be the signed-in reader's
            request = urllib.request.Request(
                f"http://127.0.0.1:{PORT}/", headers={"Cookie": cookie, "Host": "127.0.0.1"}
            )
            if b"Log out" not in urllib.request.urlopen(request, timeout=30).read():
                raise SystemExit("the benchmark session is not signed in")
        for label, url in urls:
            full = f"http://127.0.0.1:{PORT}{url}"
            wrk(full, duration=2, connections=args.connections, cookie=cookie)  # warm-up
            result = wrk(full, duration=args.duration, connections=args.connections, cookie=cookie)
            rows.append((label, url, result))
            print(
                f"{label:28} {result['rps']:8.0f} req/s  p50 {result['p50']:6.1f} ms  "
                f"p99 {result['p99']:6.1f} ms  queries {query_counts[url]:3}  "
                f"non-2xx {result['errors']}",
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    (ROOT / "bench" / ".data").mkdir(exist_ok=True)
    os.environ.update(server_env(args.workers, page_cache=False))
    # Production settings serve hashed static files: collect them first, as a deploy does.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True
    )
    dataset.main([])
    urls = pages()
    cookie, reader = signed_in_cookie()
    anonymous_counts, signed_in_counts = count_queries(urls), count_queries(urls, cookie)
    runs = [
        ("Anonymous readers: page cache on (production with REDIS_URL)", True, ""),
        (
            f"Signed-in readers ({reader}): pages rendered, summary cards from cached "
            "fragments (production with REDIS_URL)",
            True,
            cookie,
        ),
        ("No shared cache (no REDIS_URL): every page rendered in full", False, ""),
    ]
    results = []
    for title, page_cache, run_cookie in runs:
        print(f"== {title}", flush=True)
        counts = signed_in_counts if run_cookie else anonymous_counts
        rows = measure(urls, args, page_cache=page_cache, query_counts=counts, cookie=run_cookie)
        results.append((title, rows, counts))
    section = report(
        results,
        duration=args.duration,
        connections=args.connections,
        workers=args.workers,
    )
    if not args.no_write:
        write_doc(section)
        print(f"Written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
