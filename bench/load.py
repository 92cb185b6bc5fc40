"""Load test: gunicorn with production settings on the benchmark PostgreSQL database, driven by
wrk for 60 s with 64 connections through a mix of anonymous pages, signed-in pages and
signed-in writes (votes and previews). The target is zero 5xx responses.

    python bench/load.py [--duration 60] [--connections 64]
"""

import argparse
import datetime
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import dataset, run  # noqa: E402

START, END = "<!-- bench:load:start -->", "<!-- bench:load:end -->"

# Each connection takes requests from the mix in turn. Writes carry the session and CSRF
# token of one of the benchmark's voters; the status of every response is tallied.
LUA = r"""
local requests = {}
local counter = 0
local threads = {}
statuses = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  for _, line in ipairs(MIX) do
    local method, path, body, signed = line[1], line[2], line[3], line[4]
    local headers = {}
    if signed then
      headers["Cookie"] = COOKIES[(id % #COOKIES) + 1]
      headers["X-CSRFToken"] = TOKEN
      headers["Referer"] = "http://127.0.0.1:%PORT%/"
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      headers["X-Requested-With"] = "fetch"
    end
    table.insert(requests, wrk.format(method, path, headers, body))
  end
  position = id
end

function request()
  position = position + 1
  return requests[(position % #requests) + 1]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- Each thread counts in its own Lua state; add them up at the end.
function done(summary, latency, requests_)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do table.insert(parts, status .. "=" .. count) end
  io.write("STATUSES " .. table.concat(parts, " ") .. "\n")
end
"""


def signed_in_sessions(count):
    """Session cookies for `count` benchmark voters, made the way a log-in makes them."""
    dataset.setup_django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    from accounts.models import User

    token = _get_new_csrf_string()
    cookies = []
    for user in User.objects.filter(username__startswith="reader").order_by("pk")[:count]:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}; csrftoken={token}")
    return cookies, token


def mix():
    """(method, path, body, signed) rows: mostly reading, some writing."""
    from summaries.models import Summary

    summaries = list(
        Summary.objects.public().order_by("pk").values_list("pk", "paper__bibtex_key")[:40]
    )
    rows = [
        ("GET", "/", "", False),
        ("GET", "/?tab=top", "", False),
        ("GET", "/about/", "", False),
        ("GET", "/venues/", "", True),
        ("GET", "/search/?q=attention+learning", "", False),
        ("GET", "/feeds/rss/latest/", "", False),
    ]
    for n, (pk, key) in enumerate(summaries):
        rows.append(("GET", f"/paper/{key}/", "", n % 2 == 0))
        rows.append(("POST", f"/summaries/{pk}/vote/", f"value={(1, -1, 0)[n % 3]}", True))
        if n % 4 == 0:
            rows.append(("POST", "/preview/", "source=Math+%24x%5E2%24+and+%5Ccite%7Bx%7D", True))
    return rows


def lua_table(rows):
    def quote(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        f"{{{quote(m)}, {quote(p)}, {quote(b)}, {'true' if s else 'false'}}}" for m, p, b, s in rows
    ]
    return "MIX = {\n  " + ",\n  ".join(lines) + "\n}\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    (ROOT / "bench" / ".data").mkdir(exist_ok=True)
    os.environ.update(run.server_env(args.workers))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True
    )
    dataset.main([])
    cookies, token = signed_in_sessions(64)
    rows = mix()
    script = (
        lua_table(rows)
        + "COOKIES = {"
        + ", ".join(f'"{c}"' for c in cookies)
        + "}\n"
        + f'TOKEN = "{token}"\n'
        + LUA.replace("%PORT%", str(run.PORT))
    )
    server = run.start_server(args.workers, page_cache=True)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(script)
        result = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                lua.name,
                f"http://127.0.0.1:{run.PORT}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    out = result.stdout
    statuses = dict(
        (int(code), int(count))
        for code, count in re.findall(r"(\d+)=(\d+)", out.split("STATUSES", 1)[1])
    )
    total = sum(statuses.values())
    server_errors = sum(count for code, count in statuses.items() if code >= 500)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    writes = sum(1 for row in rows if row[0] == "POST")
    print(out)
    summary = (
        f"{total:,} responses in {args.duration} s ({rps:.0f}/s, p99 {p99}), "
        f"statuses {dict(sorted(statuses.items()))}: **{server_errors} server errors**"
        + (f"; socket errors: {socket_errors.group(1)}" if socket_errors else "")
    )
    print(summary)
    section = "\n".join(
        [
            START,
            f"### Load with writes ({datetime.date.today().isoformat()})",
            "",
            f"- Machine: {run.machine()}; {run.versions()}",
            f"- gunicorn {args.workers} workers, production settings, Redis cache; wrk "
            f"{args.connections} connections for {args.duration} s cycling through {len(rows)} "
            f"requests: anonymous and signed-in pages, search, a feed, and {writes} signed-in "
            "writes (votes that set, flip and clear, and previews).",
            f"- Result: {summary}. (429s are the per-user rate limits doing their job.)",
            "",
            END,
        ]
    )
    if not args.no_write:
        run.write_doc(section, start=START, end=END)
    if server_errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
