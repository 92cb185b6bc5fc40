from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from papers.models import Venue
from shortscience import backups, pg_backups
from summaries.invalidation import everything_changed


class Command(BaseCommand):
    help = (
        "Load a file written by `manage.py backup` (portable, or --pg-dump) into an empty"
        " database. The whole file is checked before anything changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace everything in a database that already has accounts, papers or summaries",
        )

    def handle(self, *args, path, force=False, **options):
        if backups.is_legacy(path):
            return self._restore_legacy(path, force)
        dump = pg_backups.is_pg_dump(path)
        self.stderr.write(f"Checking {path} ...")
        try:
            if dump:
                contents = pg_backups.check_pg_dump(path)
                tables, files, created = contents["tables"], contents["files"], contents["created"]
                source = "pg_dump"
            else:
                contents = backups.check_file(path)
                tables, files = contents.tables, contents.files
                created, source = contents.header["created"], contents.header["database"]
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except backups.BackupError as error:
            raise CommandError(
                f"{path} cannot be restored: {error}. Nothing was changed."
            ) from None
        self.stderr.write(
            f"  {sum(tables.values()):,} rows in {len(tables)} tables, {files:,} uploaded"
            f" files; written {created} from {source}"
        )
        call_command("migrate", interactive=False, verbosity=0)
        if backups.site_is_used() and not force:
            raise CommandError(
                "This database already has accounts, papers or summaries; restore into an"
                " empty one, or pass --force to replace them. Nothing was changed."
            )
        progress = self._progress if options["verbosity"] >= 1 else None
        try:
            if dump:
                result = pg_backups.restore_pg_dump(path, contents, progress=progress)
                call_command("migrate", interactive=False, verbosity=0)  # code newer than dump
            else:
                result = backups.restore(path, contents, progress=progress)
        except backups.BackupError as error:
            raise CommandError(f"Restore failed and was rolled back: {error}") from None
        if progress:
            self.stderr.write("")
        everything_changed()
        self.stdout.write(f"{'table':<34} {'in file':>10} {'restored':>10}")
        for label, rows in result.in_file.items():
            restored = result.restored[label]
            restored = "rebuilt" if restored is None else f"{restored:,}"
            self.stdout.write(f"{label:<34} {rows:>10,} {restored:>10}")
        self.stdout.write(f"{'uploaded files':<34} {files:>10,} {result.files:>10,}")
        differ = [
            label
            for label, rows in result.restored.items()
            if rows is not None and rows != result.in_file[label]
        ]
        if differ:
            raise CommandError(f"Restored, but counts differ from the file's: {', '.join(differ)}")
        self.stdout.write(self.style.SUCCESS(f"Restored {path} in {result.seconds:.1f} s"))

    def _progress(self, label, done, total):
        of = f"/{total:,}" if total else ""
        self.stderr.write(f"\r  {label}: {done:,}{of}".ljust(60), ending="")
        self.stderr.flush()

    def _restore_legacy(self, path, force):
        """Files of the first backup command: Django's dumpdata JSON, loaded whole."""
        from accounts.models import User

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
        self.stdout.write(self.style.SUCCESS(f"Restored {path} (an old-format backup)"))
