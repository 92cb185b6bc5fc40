import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from papers.models import Paper, PaperAlias, Venue
from summaries import demo
from summaries.invalidation import everything_changed
from summaries.models import Summary, Vote, render_comment_source
from summaries.voting import SETTLING_TIME, recompute_reputation

# The demo site looks lived in: the newest summary is a few days old, writers joined well
# before their first summary, and votes came a day after the summary (so they have settled).
NEWEST_SUMMARY_AGE = SETTLING_TIME + datetime.timedelta(days=2)
SUMMARY_SPACING = datetime.timedelta(days=3, hours=1)
JOINED_BEFORE_FIRST_SUMMARY = datetime.timedelta(days=30)
VOTE_DELAY = datetime.timedelta(days=1)


class Command(BaseCommand):
    help = "Load demo papers, writers and summaries. Safe to re-run: existing rows are kept."

    @transaction.atomic
    def handle(self, *args, **options):
        created = {"venues": 0, "papers": 0, "users": 0, "summaries": 0, "votes": 0}
        venues = {}
        for key, name, short_name, url in demo.VENUES:
            venues[key], new = Venue.objects.get_or_create(
                key=key, defaults={"name": name, "short_name": short_name, "url": url}
            )
            created["venues"] += new

        for (
            key,
            title,
            authors,
            venue_key,
            year,
            arxiv_id,
            doi,
            keywords,
            abstract,
            published,
        ) in demo.PAPERS:
            paper, new = Paper.objects.get_or_create(
                bibtex_key=key,
                defaults={
                    "title": title,
                    "entry_type": "article"
                    if key.startswith(("journals/", "10."))
                    else "inproceedings",
                    "venue": venues[venue_key],
                    "year": year,
                    "arxiv_id": arxiv_id,
                    "doi": doi,
                    "abstract": abstract,
                    "published": datetime.date.fromisoformat(published),
                    "source": "Demo data",
                },
            )
            if new:
                paper.set_authors(authors)
                paper.set_keywords(keywords)
                created["papers"] += 1

        for alias, key in demo.ALIASES:
            PaperAlias.objects.get_or_create(
                key=alias, defaults={"paper": Paper.objects.get(bibtex_key=key)}
            )

        now = timezone.now()
        oldest_summary = now - NEWEST_SUMMARY_AGE - SUMMARY_SPACING * len(demo.SUMMARIES)
        users = {}
        for username, display_name, bio, orcid in demo.USERS:
            user, new = User.objects.get_or_create(
                username=username,
                defaults={
                    "display_name": display_name,
                    "bio": bio,
                    "orcid": orcid,
                    "email": f"{username}@example.org",
                    "email_confirmed": True,
                    "date_joined": oldest_summary - JOINED_BEFORE_FIRST_SUMMARY,
                },
            )
            if new:
                user.set_unusable_password()
                user.render_bio(render_comment_source)
                user.save(update_fields=["password", "bio_html"])
                created["users"] += 1
            users[username] = user

        for age, (username, key, anonymous, source) in enumerate(demo.SUMMARIES):
            paper = Paper.objects.get(bibtex_key=key)
            if Summary.objects.filter(paper=paper, author=users[username]).exists():
                continue
            when = now - NEWEST_SUMMARY_AGE - SUMMARY_SPACING * age
            summary = Summary(
                paper=paper,
                author=users[username],
                source=source.strip() + "\n",
                is_anonymous=anonymous,
                created=when,
                edited=when,
            )
            summary.save()
            summary.revisions.create(source=summary.source, editor=users[username], created=when)
            created["summaries"] += 1

        for (writer, key), voters in demo.VOTES.items():
            summary = Summary.objects.get(paper__bibtex_key=key, author=users[writer])
            for voter in voters:
                _, new = Vote.objects.get_or_create(
                    summary=summary,
                    user=users[voter],
                    defaults={"value": 1, "created": summary.created + VOTE_DELAY},
                )
                created["votes"] += new
            score = summary.votes.aggregate(total=Sum("value"))["total"] or 0
            if summary.score != score:
                summary.score = score
                summary.save()

        # What the daily job runs, so the writers page shows reputations at once.
        recompute_reputation()
        everything_changed()
        self.stdout.write(self.style.SUCCESS(describe_loaded(created)))


def describe_loaded(created):
    """'Demo data: added 16 papers, 3 writers and 8 summaries.' naming only what was added."""
    names = {"users": "writers"}
    added = [f"{n} {names.get(what, what)}" for what, n in created.items() if n]
    if not added:
        return "Demo data is already loaded; nothing new to add."
    listed = ", ".join(added[:-1]) + " and " + added[-1] if len(added) > 1 else added[0]
    return f"Demo data: added {listed}."
