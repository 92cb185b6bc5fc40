"""Faults survived by the real server: gunicorn losing its database and losing a worker."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url, timeout=10):
    """(status, body) of a GET; connection errors are (None, reason)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return None, str(error)


class TcpProxy:
    """A loopback TCP forwarder the test can cut and restore, standing in for a network
    between the application and its database."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.port = free_port()
        self.sockets = []
        self.listener = None

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=True)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self):
        # shutdown() wakes the thread blocked in accept(); close() alone would leave the
        # kernel socket listening until accept() returned.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.sockets = []

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def clean_environ():
    """The environment without the test run's own database and Django settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """Production settings serve hashed static files: collect them once, as a deploy does."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        check=True,
        env={**clean_environ(), "DJANGO_SECRET_KEY": "tests-only", "STATIC_ROOT": str(root)},
    )
    return root


def start_gunicorn(env, *, static_root, workers=1):
    """Start gunicorn with production settings; its output goes to server.log_path."""
    port = free_port()
    base = {**clean_environ(), "STATIC_ROOT": str(static_root)}
    log_path = static_root.parent / f"gunicorn-{port}.log"
    server = subprocess.Popen(
        [
            GUNICORN,
            "shortscience.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--no-control-socket",
            "--graceful-timeout",
            "2",
        ],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SECRET_KEY": "tests-only",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "REQUEST_LOG_LEVEL": "WARNING",
            **env,
        },
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server.log_path = log_path
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if fetch(url + "/robots.txt", timeout=1)[0] == 200:
            return server, url
        time.sleep(0.1)
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError("gunicorn did not start:\n" + log_path.read_text())


def stop_gunicorn(server):
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=20)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="a database outage is exercised against PostgreSQL (the CI run with DATABASE_URL)",
)
def test_database_outage_shows_503_and_the_site_recovers_without_restart(
    transactional_db, summary, static_root
):
    settings = connection.settings_dict
    proxy = TcpProxy(int(settings["PORT"] or 5432))
    proxy.start()
    url_for_db = f"postgres://{settings['USER']}@127.0.0.1:{proxy.port}/{settings['NAME']}"
    server, url = start_gunicorn({"DATABASE_URL": url_for_db}, static_root=static_root)
    try:
        status, body = fetch(url + "/")
        assert status == 200 and "The RPN proposes boxes" in body, server.log_path.read_text()

        proxy.stop()
        started = time.monotonic()
        status, body = fetch(url + "/")
        assert status == 503
        assert "briefly unavailable" in body and "Traceback" not in body
        assert time.monotonic() - started < 10
        assert fetch(url + "/healthz")[0] == 503

        proxy.start()
        statuses = [fetch(url + "/")[0] for _ in range(3)]
        assert statuses[-1] == 200, statuses
    finally:
        stop_gunicorn(server)
        proxy.stop()


def test_killed_worker_is_replaced_and_only_in_flight_requests_fail(tmp_path, static_root):
    database = tmp_path / "site.sqlite3"
    env = {"SQLITE_PATH": str(database)}
    for command in (["migrate", "-v0"], ["load_demo", "-v0"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            check=True,
            env={**clean_environ(), "DJANGO_DEBUG": "1", **env},
            stdout=subprocess.DEVNULL,
        )
    server, url = start_gunicorn(env, static_root=static_root, workers=2)
    results, stop = [], threading.Event()

    def load():
        while not stop.is_set():
            results.append(fetch(url + "/paper/conf/nips/RenHGS15/", timeout=5)[0])

    def workers():
        out = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
        return {int(pid) for pid in out.stdout.split()}

    clients = [threading.Thread(target=load) for _ in range(4)]
    try:
        for client in clients:
            client.start()
        time.sleep(1.5)
        before = workers()
        assert len(before) == 2
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        for _ in range(100):
            time.sleep(0.2)
            after = workers()
            if len(after) == 2 and victim not in after:
                break
        replaced_at = len(results)
        deadline = time.monotonic() + 20
        while len(results) < replaced_at + 10 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        for client in clients:
            client.join()
        stop_gunicorn(server)
    assert victim not in after and len(after) == 2, "the master did not replace the worker"
    failures = [status for status in results if status != 200]
    # At most the requests that were inside the killed worker: one per client connection.
    assert len(failures) <= len(clients), failures
    after_replacement = results[replaced_at:]
    assert len(after_replacement) >= 10 and set(after_replacement) == {200}
