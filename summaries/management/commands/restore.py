from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from papers.models import Venue
from summaries.invalidation import everything_changed


class Command(BaseCommand):
    help = "Load a file written by `manage.py backup` into a freshly migrated, empty database."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--force", action="store_true", help="load even if the database already has users"
        )

    def handle(self, *args, path, force=False, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if User.objects.exists() and not force:
            raise CommandError(
                "This database already has accounts; restore into an empty one (or pass --force)."
            )
        with transaction.atomic():
            # migrate's post_migrate handlers created the Moderators group and the common
            # venues; the backup brings them back as they were, with their own ids.
            Group.objects.all().delete()
            Venue.objects.all().delete()
            call_command("loaddata", path, verbosity=0)
        everything_changed()
        self.stdout.write(self.style.SUCCESS(f"Restored {path}"))
