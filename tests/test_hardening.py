"""Security headers, request logging, the database-down page, deploy checks and backups."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client

from summaries.models import Comment, Vote
from tests.conftest import common_venue

ROOT = Path(__file__).resolve().parent.parent


def test_every_page_carries_a_strict_content_security_policy(client, summary):
    for url in ["/", summary.paper.get_absolute_url(), "/about/", "/nowhere/"]:
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert (
            "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("style-src-attr")[0]
        )
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-eval'" not in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert response["X-Frame-Options"] == "DENY"


def test_csp_violations_are_logged(client, caplog):
    report = {"csp-report": {"violated-directive": "script-src", "blocked-uri": "inline"}}
    with caplog.at_level(logging.WARNING, logger="shortscience.csp"):
        response = client.post(
            "/csp-report/", json.dumps(report), content_type="application/csp-report"
        )
    assert response.status_code == 204
    assert "script-src" in caplog.text
    assert client.post("/csp-report/", "not json", content_type="text/plain").status_code == 400
    assert client.get("/csp-report/").status_code == 405


def test_each_request_is_logged_once_with_an_id_errors_share(db, caplog, settings):
    settings.ROOT_URLCONF = "tests.urls_boom"
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.INFO):
        response = client.get("/boom/")
    request_id = response["X-Request-ID"]
    lines = [r for r in caplog.records if r.name == "shortscience.request"]
    assert len(lines) == 1 and "GET /boom/ 500" in lines[0].getMessage()
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert errors and all(r.request_id == request_id for r in errors + lines)


def test_database_outage_answers_503_and_the_next_request_recovers(client, summary):
    with mock.patch(
        "summaries.views.Summary.objects.public", side_effect=OperationalError("connection refused")
    ):
        client.raise_request_exception = False
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "briefly unavailable" in response.content.decode()
    assert client.get("/").status_code == 200


def _manage(*args, env=None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
    )


def test_deploy_check_is_clean_with_production_settings():
    env = {
        "DJANGO_SECRET_KEY": "k" * 20 + "-production-like-secret-with-enough-entropy-0123456789",
        "DJANGO_ALLOWED_HOSTS": "shortscience.example",
        "DJANGO_SECURE": "1",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_behind_a_proxy_https_is_recognised_and_http_redirected(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    client = Client()
    plain = client.get("/about/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = client.get("/about/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=3600")


@pytest.mark.django_db(transaction=True)  # a backup takes its own snapshot transaction
def test_backup_restores_into_a_fresh_database(tmp_path, summary, stranger):
    summary.source = "Second version."
    summary.save()
    summary.record_revision(summary.author)
    Vote.objects.create(summary=summary, user=stranger, value=1)
    Comment.objects.create(summary=summary, author=stranger, source="A comment.")
    # A venue whose id differs from a fresh install's, as after years of edits.
    icml = common_venue("conf/icml")
    icml.delete()
    icml.pk = None
    icml.save()
    backup = tmp_path / "backup.json.gz"
    call_command("backup", str(backup))

    fresh = tmp_path / "fresh.sqlite3"
    env = {"DJANGO_DEBUG": "1", "SQLITE_PATH": str(fresh)}
    restored = _manage("restore", str(backup), env=env)
    assert restored.returncode == 0, restored.stderr
    counts = _manage(
        "shell",
        "-c",
        "from summaries.models import *; from accounts.models import User;"
        "s = Summary.objects.get();"
        "print(User.objects.count(), s.source, s.revisions.count(), Vote.objects.count(),"
        " Comment.objects.count(), s.paper.bibtex_key, s.paper.author_names[0])",
        env=env,
    )
    assert counts.stdout.split("\n")[-2] == (
        "2 Second version. 2 1 1 conf/nips/RenHGS15 Shaoqing Ren"
    ), counts.stderr
    again = _manage("restore", str(backup), env=env)
    assert again.returncode != 0 and "already has accounts" in again.stderr
