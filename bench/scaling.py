"""Two app servers behind nginx on loopback, sharing PostgreSQL and Redis: check that what
must be shared is shared (sessions, the page cache's invalidation, static files) and measure
throughput against one server with the same total number of workers.

    python bench/scaling.py [--duration 10]

Needs nginx (apt-get install nginx-light) and wrk; uses the benchmark database.
"""

import argparse
import datetime
import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import dataset, run  # noqa: E402

DATA = ROOT / "bench" / ".data"
DOC = ROOT / "docs" / "scaling.md"
START, END = "<!-- bench:scaling:start -->", "<!-- bench:scaling:end -->"
NGINX_PORT, APP_PORTS = 8770, (8771, 8772)

NGINX_CONF = """
worker_processes 1;
pid {data}/nginx.pid;
error_log {data}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {data}/nginx-body;
  proxy_temp_path {data}/nginx-proxy;
  fastcgi_temp_path {data}/nginx-fastcgi;
  uwsgi_temp_path {data}/nginx-uwsgi;
  scgi_temp_path {data}/nginx-scgi;
  upstream shortscience {{
    server 127.0.0.1:{a};
    server 127.0.0.1:{b};
    keepalive 16;
  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://shortscience;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
}}
"""


def start_app(port, workers):
    env = {**run.server_env(workers), "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    log = open(DATA / f"gunicorn-{port}.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "shortscience.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(f"http://127.0.0.1:{port}/healthz")
    return server


def wait_for(url):
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def start_nginx():
    conf = DATA / "nginx.conf"
    conf.write_text(NGINX_CONF.format(data=DATA, a=APP_PORTS[0], b=APP_PORTS[1], port=NGINX_PORT))
    subprocess.run(["nginx", "-c", str(conf)], check=True)
    wait_for(f"http://127.0.0.1:{NGINX_PORT}/healthz")


def stop_nginx():
    pid_file = DATA / "nginx.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text()), signal.SIGQUIT)


def served_by(url):
    """Which app server answered, from its log (the request id is unique per request)."""
    response = urllib.request.urlopen(url)
    request_id = response.headers["X-Request-ID"]
    time.sleep(0.2)
    for port in APP_PORTS:
        if request_id in (DATA / f"gunicorn-{port}.log").read_text():
            return port
    return None


def shared_state_checks():
    """A session made on one server works on the other; a write through one server is
    visible through the other at once (page-cache invalidation through Redis)."""
    dataset.setup_django()
    from accounts.models import User

    user, _ = User.objects.get_or_create(username="scaling-check")
    user.set_password("scaling-check-password")
    user.save()
    a, b = (f"http://127.0.0.1:{port}" for port in APP_PORTS)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(a + "/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": "scaling-check",
            "password": "scaling-check-password",
        }
    ).encode()
    opener.open(
        urllib.request.Request(
            a + "/accounts/login/", data=form, headers={"Referer": a + "/accounts/login/"}
        )
    )
    profile = opener.open(b + "/").read().decode()
    session_shared = "scaling-check" in profile

    # Warm server B's cached home page, write through A, read through B.
    urllib.request.urlopen(b + "/about/").read()
    cached = urllib.request.urlopen(b + "/about/").headers.get("X-Cache")
    logout_page = opener.open(a + "/about/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', logout_page).group(1)
    opener.open(
        urllib.request.Request(
            a + "/accounts/logout/",
            data=urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode(),
            headers={"Referer": a + "/about/"},
        )
    )
    after_write = urllib.request.urlopen(b + "/about/").headers.get("X-Cache")
    return {
        "session made on server A is valid on server B": session_shared,
        "server B served a cached page before the write": cached == "hit",
        "a write through A invalidates B's cached page": after_write == "miss",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install {tool}")
    DATA.mkdir(exist_ok=True)
    os.environ.update(run.server_env(2))
    dataset.main([])
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True
    )
    servers = [start_app(port, workers=2) for port in APP_PORTS]
    try:
        start_nginx()
        checks = shared_state_checks()
        front = f"http://127.0.0.1:{NGINX_PORT}"
        spread = {served_by(front + "/about/") for _ in range(6)}
        checks["nginx spreads requests over both servers"] = spread == set(APP_PORTS)
        css = urllib.request.urlopen(front + "/static/css/site.css")
        checks["static files served by WhiteNoise through nginx"] = (
            css.status == 200 and "max-age" in css.headers.get("Cache-Control", "")
        )
        paper = "/paper/conf/bench00/Paper000000/"
        results = {}
        for label, url in [
            ("two servers behind nginx", front + paper),
            ("one of them directly", f"http://127.0.0.1:{APP_PORTS[0]}{paper}"),
        ]:
            run.wrk(url, duration=2, connections=args.connections)
            results[label] = run.wrk(url, duration=args.duration, connections=args.connections)
    finally:
        stop_nginx()
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
    lines = [
        START,
        f"### Measured on {datetime.date.today().isoformat()}",
        "",
        f"- Machine: {run.machine()}",
        f"- Software: {run.versions()}, nginx",
        f"- Two gunicorn instances (2 workers each) behind nginx, one PostgreSQL, one "
        f"Redis, all on loopback; wrk {args.connections} connections, {args.duration} s, "
        f"anonymous requests for `{paper}`.",
        "",
    ]
    for check, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {check}")
        lines.append(f"- {'✔' if ok else '✘'} {check}")
    lines += ["", "| setup | requests/s | p50 ms | p99 ms | non-2xx |", "|---|---:|---:|---:|---:|"]
    for label, r in results.items():
        print(
            f"{label:28} {r['rps']:8.0f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms"
            f"  non-2xx {r['errors']}"
        )
        lines.append(
            f"| {label} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |"
        )
    lines += ["", END]
    if not args.no_write:
        run.write_doc("\n".join(lines), doc=DOC, start=START, end=END, title="# Scaling")
    if not all(checks.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
