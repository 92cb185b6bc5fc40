"""What `make run` shows a newcomer: one line per log event, a plain demo-loading message,
demo data whose dates make sense and whose writers have a reputation, a styled technical 404
under DEBUG, and a favicon."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Min

from accounts.models import User
from summaries.models import Summary, Vote

LOG_SOMETHING = """
import logging, django
django.setup()
logging.getLogger("django.utils.autoreload").info("watching-marker")
logging.getLogger("django.security.csrf").warning("security-marker")
logging.getLogger("django.server").error("server-marker")
"""


def test_django_log_lines_are_written_once():
    env = {**os.environ, "DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "shortscience.settings"}
    result = subprocess.run(
        [sys.executable, "-c", LOG_SOMETHING],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    output = result.stdout + result.stderr
    for marker in ("watching-marker", "security-marker", "server-marker"):
        assert output.count(marker) == 1, output


@pytest.mark.django_db
def test_load_demo_says_what_it_added_and_then_that_nothing_was_new():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    message = out.getvalue()
    assert message.startswith("Demo data: added ")
    assert "papers" in message and "writers" in message and "summaries" in message
    assert "0 " not in message  # nothing named that was not added
    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert again.getvalue().strip() == "Demo data is already loaded; nothing new to add."


@pytest.mark.django_db
def test_demo_writers_joined_before_their_summaries_and_have_reputations():
    call_command("load_demo", verbosity=0)
    for writer in User.objects.filter(summaries__isnull=False).distinct():
        first = Summary.objects.filter(author=writer).aggregate(first=Min("created"))["first"]
        assert writer.date_joined < first, writer
    for vote in Vote.objects.select_related("summary"):
        assert vote.created > vote.summary.created
    voted_writers = User.objects.filter(summaries__votes__isnull=False).distinct()
    assert voted_writers.exists()
    assert all(writer.reputation > 0 for writer in voted_writers)
    assert "0.0" not in "".join(f"{u.reputation:.1f}" for u in voted_writers)


def test_technical_404_under_debug_may_use_its_inline_styles(client, db, settings):
    settings.DEBUG = True
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"<style>" in response.content  # Django's technical page
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
    assert "script-src 'self';" in response["Content-Security-Policy"]


def test_without_debug_even_a_404_keeps_the_strict_policy(client, db, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "style-src 'self';" in response["Content-Security-Policy"]
    assert "'unsafe-inline'; style-src-attr" not in response["Content-Security-Policy"]
    assert client.get("/").headers["Content-Security-Policy"].count("unsafe-inline") == 1


def test_favicon_answers_with_an_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO signature
    assert "max-age" in response["Cache-Control"]
