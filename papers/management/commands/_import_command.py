"""What import_bibtex and import_arxiv share: batches, a progress bar, the closing summary."""

import gc
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from papers.bibtex import ParseResult
from papers.importing import BATCH_SIZE, apply_import, plan_import, quiet_bibtexparser


class ProgressBar:
    """A one-line bar on a command's stderr, redrawn per batch."""

    def __init__(self, total, stream, width=30):
        self.total, self.stream, self.width = total, stream, width
        self.started = time.monotonic()

    def show(self, done):
        filled = self.width * done // self.total if self.total else self.width
        elapsed = time.monotonic() - self.started
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done:,}/{self.total:,} entries  {elapsed:.1f} s", ending="")
        self.stream.flush()

    def close(self):
        self.stream.write("")


class ImportCommand(BaseCommand):
    source = ""

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--keep-going",
            action="store_true",
            help="Import the valid entries even when some have errors (and exit 0).",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--source", default=self.source, help="Recorded on new papers.")

    def read(self, path) -> ParseResult:
        raise NotImplementedError

    def handle(self, *args, files, keep_going, batch_size, source, **options):
        quiet_bibtexparser()
        # Parsing and bulk work allocate millions of objects that all live to the end.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._import(files, keep_going, max(batch_size, 1), source, options["verbosity"])
        finally:
            if gc_was_enabled:
                gc.enable()

    def _import(self, files, keep_going, batch_size, source, verbosity):
        entries, errors = [], []
        for path in files:
            try:
                parsed = self.read(path)
            except OSError as error:
                raise CommandError(f"Cannot read {path}: {error.strerror or error}") from None
            entries.extend((path, entry) for entry in parsed.entries)
            errors.extend((path, error) for error in parsed.errors)

        totals = {"created": 0, "updated": 0, "aliased": 0, "unchanged": 0}
        if errors and not keep_going:
            self._report_errors(errors)
            raise CommandError(
                f"{len(errors)} entr{'y' if len(errors) == 1 else 'ies'} with errors: nothing "
                "imported. Fix them, or use --keep-going to import the others."
            )
        show_progress = verbosity > 0 and entries
        progress = ProgressBar(len(entries), self.stderr) if show_progress else None
        with transaction.atomic():
            for start in range(0, len(entries), batch_size):
                batch = [entry for _, entry in entries[start : start + batch_size]]
                result = apply_import(plan_import(ParseResult(entries=batch)), source=source)
                totals["created"] += len(result.created)
                totals["updated"] += len(result.updated)
                totals["aliased"] += len(result.aliased)
                totals["unchanged"] += len(result.unchanged)
                if progress:
                    progress.show(min(start + batch_size, len(entries)))
        if progress:
            progress.close()
        if errors:
            self._report_errors(errors)
        self.stdout.write(
            f"{totals['created']:,} created, {totals['updated']:,} updated, "
            f"{totals['aliased']:,} aliased, {totals['unchanged']:,} already here, "
            f"{len(errors):,} errors."
        )

    def _report_errors(self, errors):
        for path, error in errors:
            self.stderr.write(f"{path}: {error.message}")
