"""Traffic benchmark: a long tail of public pages while writes go on.

On the benchmark database, gunicorn (4 workers) serves a mix of 1,000 pages (paper pages,
venue-year pages, profiles, year pages and the home tabs, visited with a Zipf-like long tail,
a tenth of the requests signed in) after every page has been visited once, while three
writes a second go on: a vote (cast and cleared in turn), an editor preview and an anonymous
CSP report. Each figure is compared with the trivial page measured in the same run under the
same writes. Three runs: with the shared cache (REDIS_URL), without it (page copies in each
process, their versions in the database), and with every reader signed in (against the
signed-in trivial page, which loads the session and the user).

    python bench/traffic.py [--duration 15] [--connections 8] [--workers 4] [--no-write]

Needs wrk (apt-get install wrk). Results go to docs/benchmarks.md.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import dataset  # noqa: E402
from bench.run import machine, signed_in_cookie, versions, write_doc  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
DATA = ROOT / "bench" / ".data"
PORT = int(os.environ.get("BENCH_TRAFFIC_PORT", "9210"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
START, END = "<!-- bench:traffic:start -->", "<!-- bench:traffic:end -->"
MIX_SIZE = 1000
SIGNED_IN_SHARE = 0.1
WRITES_PER_SECOND = 3
ACCEPT_ENCODING = "gzip, deflate, br"

# wrk walks a shuffled request list, each thread from its own offset; a line is
# "<0|1> <path>", 1 for a signed-in request.
LUA = """
local lines = {}
for line in io.lines("%(list)s") do lines[#lines + 1] = line end
local counter = 0
local cookie = "%(cookie)s"
local id = 0
setup = function(thread) id = id + 1; thread:set("offset", id * 7919) end
init = function(args) counter = offset or 0 end
request = function()
  counter = counter + 1
  local line = lines[(counter %% #lines) + 1]
  local signed, path = line:match("^(%%d) (.*)$")
  local headers = {["Accept-Encoding"] = "%(encoding)s"}
  if signed == "1" then headers["Cookie"] = cookie end
  return wrk.format("GET", path, headers)
end
"""


def mix():
    """The 1,000 public pages of the mix, most-visited first."""
    dataset.setup_django()
    from accounts.models import User
    from papers.models import Paper

    rng = random.Random(17)
    urls = ["/?tab=popular", "/?tab=recent", "/?tab=top"]
    urls += [f"/year/{year}/" for year in dataset.YEARS]
    venue_years = list(
        Paper.objects.filter(public_summary_count__gt=0, venue__isnull=False)
        .values_list("venue__key", "year")
        .distinct()
        .order_by("venue__key", "year")
    )
    urls += [f"/venue/{key}/{year}/" for key, year in rng.sample(venue_years, 200)]
    writers = list(
        User.objects.filter(public_summary_count__gt=0)
        .order_by("pk")
        .values_list("username", flat=True)
    )
    urls += [f"/user/{name}/" for name in rng.sample(writers, 150)]
    papers = list(
        Paper.objects.filter(public_summary_count__gt=0).order_by("pk")[:4000].only("bibtex_key")
    )
    urls += [p.get_absolute_url() for p in rng.sample(papers, MIX_SIZE - len(urls))]
    head, tail = urls[:3], urls[3:]
    rng.shuffle(tail)
    return head + tail


def request_list(urls, *, signed_in_share, length=50_000):
    """A shuffled list of requests over `urls` with Zipf-like weights (the i-th most visited
    page 1/(i+1) as often as the first)."""
    rng = random.Random(18)
    weights = [1 / (rank + 1) for rank in range(len(urls))]
    lines = []
    for path in rng.choices(urls, weights=weights, k=length):
        lines.append(f"{1 if rng.random() < signed_in_share else 0} {path}")
    return lines


def server_env(workers, *, redis):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_"))}
    env.update(
        {
            "DATABASE_URL": dataset.BENCH_DATABASE_URL,
            "DJANGO_SECRET_KEY": "benchmark-only-not-a-secret",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "BENCH_FLOOR": "1",
            "PAGE_CACHE": "1",
            "WEB_CONCURRENCY": str(workers),
            "REQUEST_LOG_LEVEL": "WARNING",
            # The writers vote and preview far more often than a person may.
            "RATE_LIMIT_VOTES": "1000000",
            "RATE_LIMIT_PREVIEWS": "1000000",
        }
    )
    if redis:
        env["REDIS_URL"] = REDIS_URL
    return env


def flush_redis():
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def start_server(workers, *, redis):
    log = open(DATA / "traffic-gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "shortscience.wsgi:application",
            *("--bind", f"127.0.0.1:{PORT}", "--workers", str(workers)),
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=server_env(workers, redis=redis),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not start; see bench/.data/traffic-gunicorn.log")


def stop_server(server):
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def visit_all(urls, cookie="", *, workers=4):
    """Every page of the mix once, as the issue's 'after every page had been visited once'."""

    def visit(paths):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        bad = 0
        for path in paths:
            headers = {"Accept-Encoding": ACCEPT_ENCODING, "Host": "127.0.0.1"}
            if cookie:
                headers["Cookie"] = cookie
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            bad += response.status != 200
        connection.close()
        return bad

    with ThreadPoolExecutor(workers) as pool:
        bad = sum(pool.map(visit, [urls[i::workers] for i in range(workers)]))
    if bad:
        raise SystemExit(f"{bad} pages of the mix did not answer 200")


class Writers(threading.Thread):
    """Three writes a second: a vote, an editor preview and an anonymous CSP report."""

    def __init__(self, *, cookie, csrf, summary_ids):
        super().__init__(daemon=True)
        self.cookie, self.csrf, self.summary_ids = cookie, csrf, summary_ids
        self.stop = threading.Event()
        self.done = {"vote": 0, "preview": 0, "csp": 0}
        self.failed = 0
        self.rng = random.Random(19)
        self.voted = {}

    def post(self, path, body, content_type, *, signed_in):
        headers = {"Content-Type": content_type, "Host": "127.0.0.1"}
        if signed_in:
            headers.update({"Cookie": self.cookie, "X-CSRFToken": self.csrf})
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status

    def one_round(self):
        summary_id = self.rng.choice(self.summary_ids)
        value = 0 if self.voted.get(summary_id) else 1
        self.voted[summary_id] = value
        yield (
            "vote",
            self.post(
                f"/summaries/{summary_id}/vote/",
                f"value={value}",
                "application/x-www-form-urlencoded",
                signed_in=True,
            ),
        )
        source = f"A preview with $x^2 + y^2 = z^2$ and **bold** text, take {time.time_ns()}."
        yield (
            "preview",
            self.post(
                "/preview/",
                urllib.parse.urlencode({"source": source}),
                "application/x-www-form-urlencoded",
                signed_in=True,
            ),
        )
        report = {"csp-report": {"document-uri": f"http://127.0.0.1:{PORT}/", "blocked-uri": "x"}}
        yield (
            "csp",
            self.post(
                "/csp-report/", json.dumps(report), "application/csp-report", signed_in=False
            ),
        )

    def run(self):
        while not self.stop.is_set():
            started = time.monotonic()
            for kind, status in self.one_round():
                if status >= 400:
                    self.failed += 1
                else:
                    self.done[kind] += 1
            self.stop.wait(max(0.0, 3 / WRITES_PER_SECOND - (time.monotonic() - started)))


def wrk(*, duration, connections, script=None, url=None, cookie=""):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    else:
        command += ["-H", f"Accept-Encoding: {ACCEPT_ENCODING}"]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
    command.append(url or f"http://127.0.0.1:{PORT}/")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
    }


def run_scenario(title, *, urls, args, redis, signed_in_share, cookie, csrf, summary_ids):
    if redis:
        flush_redis()
    lines = request_list(urls, signed_in_share=signed_in_share)
    listing = DATA / "traffic-requests.txt"
    listing.write_text("\n".join(lines) + "\n")
    script = DATA / "traffic.lua"
    script.write_text(LUA % {"list": listing, "cookie": cookie, "encoding": ACCEPT_ENCODING})
    server = start_server(args.workers, redis=redis)
    try:
        started = time.monotonic()
        visit_all(urls, cookie=cookie if signed_in_share == 1 else "")
        warmed = time.monotonic() - started
        writers = Writers(cookie=cookie, csrf=csrf, summary_ids=summary_ids)
        writers.start()
        floor_path = "/bench/floor/signed-in/" if signed_in_share == 1 else "/bench/floor/"
        floor_url = f"http://127.0.0.1:{PORT}{floor_path}"
        floor_cookie = cookie if signed_in_share == 1 else ""
        wrk(duration=2, connections=args.connections, url=floor_url, cookie=floor_cookie)
        floor = wrk(
            duration=args.duration, connections=args.connections, url=floor_url, cookie=floor_cookie
        )
        traffic = wrk(duration=args.duration, connections=args.connections, script=script)
        load = os.getloadavg()[0]
        writers.stop.set()
        writers.join(timeout=30)
    finally:
        stop_server(server)
    result = {
        "title": title,
        "floor": floor,
        "mix": traffic,
        "ratio": traffic["rps"] / floor["rps"],
        "writes": dict(writers.done),
        "write_failures": writers.failed,
        "warm_seconds": warmed,
        "load": load,
    }
    print(
        f"{title}: mix {traffic['rps']:.0f} req/s ({result['ratio']:.2f}x of the trivial page's "
        f"{floor['rps']:.0f}), p50 {traffic['p50']:.1f} ms, p99 {traffic['p99']:.1f} ms, "
        f"non-2xx {traffic['errors']}, writes {writers.done} failed {writers.failed}, "
        f"first visit of the 1,000 pages {warmed:.0f} s",
        flush=True,
    )
    return result


TARGETS = {
    "with the shared cache (REDIS_URL)": "≥ 0.5×, p99 ≤ 50 ms, no errors",
    "without a shared cache (no REDIS_URL)": "≥ 0.2×",
    "all readers signed in (REDIS_URL)": "≥ 0.4× the signed-in trivial page",
}


def report(results, args):
    lines = [
        START,
        f"### Traffic with writes ({datetime.date.today().isoformat()})",
        "",
        f"- Machine: {machine()}",
        f"- Software: {versions()}",
        f"- Data: {dataset.SHAPE}",
        f"- Command: `make traffic` (`python bench/traffic.py --duration {args.duration} "
        f"--connections {args.connections} --workers {args.workers}`)",
        f"- Mix: {MIX_SIZE:,} public pages (3 home tabs, 10 year pages, 200 venue-year pages, "
        "150 profiles, the rest paper pages) with Zipf-like weights, every page visited once "
        "first; a tenth of the requests signed in (all of them in the last run). Writes "
        "during both measurements: a vote (cast, then cleared), an editor preview and an "
        "anonymous CSP report, three a second in all. The trivial page is measured in the "
        "same server under the same writes; signed in, it loads the session and the user.",
        f"- Load: wrk, 2 threads, {args.connections} connections, {args.duration} s each; "
        f"gunicorn {args.workers} sync workers, production settings. Load average: the "
        "machine's one-minute load at the end of the mix (the 2 cores are shared with other "
        "work; above 2 every figure is slowed by it).",
        "",
        "| run | mix requests/s | trivial page requests/s | mix vs trivial | p50 ms | p99 ms "
        "| non-2xx | writes done (failed) | first visit of all pages | load average | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        mix, floor = r["mix"], r["floor"]
        writes = sum(r["writes"].values())
        lines.append(
            f"| {r['title']} | {mix['rps']:.0f} | {floor['rps']:.0f} | {r['ratio']:.2f}× | "
            f"{mix['p50']:.1f} | {mix['p99']:.1f} | {mix['errors']} | {writes} "
            f"({r['write_failures']}) | {r['warm_seconds']:.0f} s | {r['load']:.1f} | "
            f"{TARGETS[r['title']]} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--only", help="run only the scenarios whose title contains this")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    DATA.mkdir(exist_ok=True)
    os.environ.update(server_env(args.workers, redis=False))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True
    )
    dataset.main([])
    # The database cache tables the run without Redis keeps its pages in.
    subprocess.run(
        [sys.executable, "manage.py", "createcachetable"], cwd=ROOT, check=True, env=os.environ
    )
    urls = mix()
    cookie, _ = signed_in_cookie()
    csrf = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    from summaries.models import Summary

    paper_keys = [url[len("/paper/") : -1] for url in urls if url.startswith("/paper/")]
    summary_ids = list(
        Summary.objects.public()
        .filter(paper__bibtex_key__in=paper_keys)
        .exclude(author__username=cookie_user(cookie))
        .values_list("pk", flat=True)
    )
    scenarios = [
        ("with the shared cache (REDIS_URL)", True, SIGNED_IN_SHARE),
        ("without a shared cache (no REDIS_URL)", False, SIGNED_IN_SHARE),
        ("all readers signed in (REDIS_URL)", True, 1),
    ]
    results = []
    for title, redis, share in scenarios:
        if args.only and args.only not in title:
            continue
        results.append(
            run_scenario(
                title,
                urls=urls,
                args=args,
                redis=redis,
                signed_in_share=share,
                cookie=cookie,
                csrf=csrf,
                summary_ids=summary_ids,
            )
        )
    section = report(results, args)
    print(section)
    if not args.no_write:
        write_doc(section, doc=DOC, start=START, end=END)
        print(f"Written to {DOC.relative_to(ROOT)}")


def cookie_user(cookie):
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    key = re.search(r"sessionid=([^;]+)", cookie).group(1)
    return User.objects.get(pk=SessionStore(session_key=key)[SESSION_KEY]).username


if __name__ == "__main__":
    main()
