from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from shortscience.pagecache import content_changed


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
            # Migrations create the Moderators group; the backup brings it back with its pk.
            from django.contrib.auth.models import Group

            Group.objects.all().delete()
            call_command("loaddata", path, verbosity=0)
        content_changed()
        self.stdout.write(self.style.SUCCESS(f"Restored {path}"))
