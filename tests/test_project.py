"""Project-wide behaviour: settings from the environment, error pages, robots, demo data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from papers.models import Paper
from summaries.models import Revision, Summary, Vote

ROOT = Path(__file__).resolve().parent.parent


def _settings_with(env, show="s.DEBUG, s.DATABASES['default']['ENGINE']"):
    """Import the settings in a fresh interpreter with exactly this environment."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "PAGE_CACHE"))
    }
    return subprocess.run(
        [sys.executable, "-c", f"import shortscience.settings as s; print({show})"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings_with({})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked_for_and_sqlite_is_the_default():
    assert _settings_with({"DJANGO_SECRET_KEY": "x"}).stdout.split() == [
        "False",
        "django.db.backends.sqlite3",
    ]
    assert _settings_with({"DJANGO_DEBUG": "1"}).stdout.split()[0] == "True"


def test_database_url_selects_postgresql():
    result = _settings_with({"DJANGO_SECRET_KEY": "x", "DATABASE_URL": "postgres://u@db:5432/ss"})
    assert result.stdout.split() == ["False", "django.db.backends.postgresql"]


def test_redis_url_shares_the_cache_and_page_cache_and_keeps_sessions_in_the_database_too():
    show = "s.CACHES['default']['BACKEND'], s.PAGE_CACHE_SECONDS > 0, s.SESSION_ENGINE"
    with_redis = {"DJANGO_SECRET_KEY": "x", "REDIS_URL": "redis://cache:6379/0"}
    assert _settings_with(with_redis, show).stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "True",
        "django.contrib.sessions.backends.cached_db",
    ]
    # Without Redis the page cache is on too: the versions of what pages show are kept in the
    # database, which every process shares.
    show += ", s.CACHES[s.CACHE_VERSIONS_ALIAS]['BACKEND']"
    assert _settings_with({"DJANGO_SECRET_KEY": "x"}, show).stdout.split() == [
        "django.core.cache.backends.locmem.LocMemCache",
        "True",
        "django.contrib.sessions.backends.db",
        "django.core.cache.backends.db.DatabaseCache",
    ]


def test_nonsense_boolean_is_refused_with_a_clear_message():
    result = _settings_with({"DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be one of" in result.stderr


def test_robots_keeps_crawlers_out_of_private_areas(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    body = response.content.decode()
    for path in ["/search/", "/accounts/", "/preview/", "/random/", "/admin/"]:
        assert f"Disallow: {path}" in body
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in body  # SITE_URL, not the Host


def test_server_error_page_is_friendly_and_in_the_site_look(db, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_boom"
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "css/site.css" in page
    assert "Traceback" not in page


def test_healthz_checks_the_database(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_load_demo_loads_real_papers_and_rerunning_changes_nothing(client):
    call_command("load_demo", verbosity=0)
    counts = (
        Paper.objects.count(),
        Summary.objects.count(),
        Revision.objects.count(),
        Vote.objects.count(),
    )
    assert counts[0] >= 15 and counts[1] >= 6
    call_command("load_demo", verbosity=0)
    assert counts == (
        Paper.objects.count(),
        Summary.objects.count(),
        Revision.objects.count(),
        Vote.objects.count(),
    )
    faster = Paper.objects.get(bibtex_key="conf/nips/RenHGS15")
    assert faster.title.startswith("Faster R-CNN")
    assert faster.author_names[:2] == ["Shaoqing Ren", "Kaiming He"]
    page = client.get("/paper/conf/nips/RenHGS15/").content.decode()
    assert "<table>" in page and "<h3" in page
    assert 'src="/static/img/demo/faster-rcnn.svg"' in page
    assert client.get("/paper/journals/corr/RenHG015/").status_code == 301
