"""The cast shared by the suite: an author, a stranger, a moderator and papers with summaries,
built with plain objects.create()."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from accounts.models import User
from papers import viewcounts
from papers.models import Paper, Venue
from summaries.models import Summary


@pytest.fixture(autouse=True)
def _fast_and_simple(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests do not run collectstatic, so use the storage that needs no manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()  # rate-limit counters live in the cache; each test starts with none used
    # Writes end cached pages once they commit, which a test's transaction never does: tests
    # of the page cache turn it on and run the commit hooks (tests/test_pagecache.py).
    settings.PAGE_CACHE_SECONDS = 0
    # Background tasks run at once, in the test's transaction; tests/accounts/test_outbox.py
    # runs the database backend and a real worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Page views are written only when a test flushes them (papers.viewcounts).
    settings.VIEW_FLUSH_SECONDS = settings.VIEW_FLUSH_VIEWS = 10**9
    viewcounts.buffer.take()
    yield
    viewcounts.buffer.take()


@pytest.fixture
def author(db):
    return User.objects.create_user(
        "alice",
        "alice@example.org",
        "correct horse battery",
        display_name="Alice Liddell",
        email_confirmed=True,
    )


@pytest.fixture
def stranger(db):
    return User.objects.create_user(
        "mallory", "mallory@example.org", "correct horse battery", email_confirmed=True
    )


@pytest.fixture
def moderator(db):
    """Staff in the Moderators group that a migration creates; not a superuser."""
    user = User.objects.create_user(
        "mod", "mod@example.org", "correct horse battery", is_staff=True, email_confirmed=True
    )
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(
        "root", "root@example.org", "correct horse battery", email_confirmed=True
    )


@pytest.fixture
def venue(db):
    # The common venues are installed by a migration; this one is among them.
    venue, _ = Venue.objects.update_or_create(
        key="conf/nips",
        defaults={"name": "Neural Information Processing Systems", "short_name": "NeurIPS"},
    )
    return venue


def common_venue(key):
    """One of the common venues a migration seeds, which a transactional test's flush may have
    removed from this worker's database."""
    from papers.venues import ensure_common_venues

    ensure_common_venues(Venue)
    return Venue.objects.get(key=key)


def make_paper(key="conf/nips/RenHGS15", *, venue=None, year=2015, authors=None, **fields):
    fields.setdefault("title", f"A paper called {key}")
    paper = Paper.objects.create(bibtex_key=key, venue=venue, year=year, **fields)
    paper.set_authors(authors or ["Shaoqing Ren", "Kaiming He", "Ross Girshick", "Jian Sun"])
    return paper


def make_summary(paper, author, source="A *short* summary.", **fields):
    summary = Summary(paper=paper, author=author, source=source, **fields)
    summary.save()
    summary.record_revision(author)
    return summary


@pytest.fixture
def paper(venue):
    return make_paper(
        venue=venue,
        title="Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks",
        arxiv_id="1506.01497",
        abstract="Region proposal networks share features with the detector.",
        published=datetime.date(2015, 6, 4),
    )


@pytest.fixture
def summary(paper, author):
    return make_summary(paper, author, "The RPN proposes boxes from shared features.")
