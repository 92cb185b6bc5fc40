from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shortscience import backups, pg_backups


class Command(BaseCommand):
    help = (
        "Write every account, paper, summary, revision, vote, comment and report, and the"
        " uploaded files, to one compressed file that `manage.py restore` loads into any"
        " database (SQLite or PostgreSQL). One consistent snapshot, however busy the site."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", help="default: <--dir>/shortscience-<UTC time>.jsonl.gz"
        )
        parser.add_argument("--dir", default="backups", help="where dated backups go")
        parser.add_argument(
            "--pg-dump",
            action="store_true",
            help="PostgreSQL only: pg_dump -Fc (faster, PostgreSQL to PostgreSQL) with a"
            " manifest and the uploaded files beside it",
        )
        parser.add_argument(
            "--keep",
            type=int,
            metavar="N",
            help="afterwards delete all but the N newest shortscience-<time> backups there",
        )

    def handle(self, *args, path=None, dir="backups", keep=None, pg_dump=False, **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1")
        suffix = "pgdump" if pg_dump else "jsonl.gz"
        path = Path(path) if path else backups.default_path(dir, suffix)
        progress = self._progress if options["verbosity"] >= 1 else None
        write = pg_backups.write_pg_dump if pg_dump else backups.write_backup
        try:
            counts = write(path, progress=progress)
        except backups.BackupError as error:
            raise CommandError(f"No backup written: {error}") from None
        if progress:
            self.stderr.write("")
        rows = sum(counts.values())
        self.stdout.write(
            self.style.SUCCESS(f"Backup written to {path}: {rows:,} rows in {len(counts)} tables")
        )
        if keep is not None:
            for old in backups.rotate(path.parent, keep=keep):
                self.stdout.write(f"Deleted old backup {old}")

    def _progress(self, label, done, total):
        of = f"/{total:,}" if total else ""
        self.stderr.write(f"\r  {label}: {done:,}{of}".ljust(60), ending="")
        self.stderr.flush()
