import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from papers.models import Paper, PaperAlias, Venue
from summaries import demo
from summaries.invalidation import everything_changed
from summaries.models import Summary, Vote


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
                },
            )
            if new:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                created["users"] += 1
            users[username] = user

        now = timezone.now()
        for age, (username, key, anonymous, source) in enumerate(demo.SUMMARIES):
            paper = Paper.objects.get(bibtex_key=key)
            if Summary.objects.filter(paper=paper, author=users[username]).exists():
                continue
            when = now - datetime.timedelta(days=3 * age + 1, hours=age)
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
                    summary=summary, user=users[voter], defaults={"value": 1}
                )
                created["votes"] += new
            score = summary.votes.aggregate(total=Sum("value"))["total"] or 0
            if summary.score != score:
                summary.score = score
                summary.save()

        everything_changed()
        made = ", ".join(f"{n} {what}" for what, n in created.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({made} new)."))
