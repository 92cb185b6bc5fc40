import datetime
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

# Rebuilt by migrate on the target database, or meaningless there.
# The task queue and the outgoing mail are operational state: a restore must not resend mail.
EXCLUDED = [
    "contenttypes",
    "auth.permission",
    "sessions",
    "admin.logentry",
    "django_tasks_database",
    "accounts.outgoingmessage",
]


class Command(BaseCommand):
    help = (
        "Write every user, paper, summary, revision, vote, comment and report to a compressed "
        "JSON file that `manage.py restore` loads into any database (SQLite or PostgreSQL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="default: backups/shortscience-<time>.json.gz")

    def handle(self, *args, path=None, **options):
        if path is None:
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            path = f"backups/shortscience-{stamp}.json.gz"
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        call_command(
            "dumpdata",
            *[f"--exclude={label}" for label in EXCLUDED],
            natural_foreign=True,
            natural_primary=False,
            output=path,
            verbosity=0,
        )
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
