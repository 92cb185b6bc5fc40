"""A site to back up, and a writer that keeps busy while the backup runs; the backup tests
run these in processes of their own through `manage.py shell -c`."""

import itertools
import sys
from pathlib import Path

from django.db import transaction

from accounts.models import User
from papers.models import Paper
from summaries.models import Comment, Summary, Vote


def seed(summaries):
    """Users, papers and ``summaries`` summaries, each with votes and a comment."""
    users = [User.objects.create_user(f"user{n}", f"user{n}@example.org") for n in range(5)]
    for n in range(summaries):
        _write_one(users, f"seed{n}")
    print("seeded", Summary.objects.count())


def write_until(stop_file, prefix="busy"):
    """New summaries with votes and comments on them, one transaction each, until
    ``stop_file`` exists; prints how many it wrote."""
    users = list(User.objects.order_by("pk")[:5])
    written = 0
    for n in itertools.count():
        if n == 1:
            Path(stop_file + ".started").touch()  # the first write is committed
        if Path(stop_file).exists():
            break
        _write_one(users, f"{prefix}{n}")
        written += 1
    print("written", written)
    sys.stdout.flush()


def add_one(key):
    """One more summary, with votes and a comment, as the busy writer adds them."""
    _write_one(list(User.objects.order_by("pk")[:5]), key)


@transaction.atomic
def _write_one(users, key):
    key = key if "/" in key else f"test/{key}"
    paper = Paper.objects.create(bibtex_key=key, title=f"Paper {key}", year=2020)
    writer, *voters = users
    summary = Summary.objects.create(
        paper=paper, author=writer, source=f"A summary of $x_{{{key}}}$ and its *ideas*."
    )
    for voter in voters[:3]:
        Vote.objects.create(summary=summary, user=voter, value=1)
    Comment.objects.create(summary=summary, author=voters[-1], source=f"Comment on {key}.")
