"""Send the daily or weekly notice digests: run by cron or a systemd timer (see README)."""

from django.core.management.base import BaseCommand

from summaries import notices


class Command(BaseCommand):
    help = "Queue one digest e-mail for each reader on this frequency with notices waiting."

    def add_arguments(self, parser):
        parser.add_argument("frequency", choices=["daily", "weekly"])

    def handle(self, *, frequency, **options):
        count = notices.send_digests(frequency)
        self.stdout.write(f"Queued {count} {frequency} digest(s).")
