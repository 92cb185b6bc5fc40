"""What import_bibtex and import_arxiv share: batches, a progress bar, the closing summary.

Large files are parsed in parts by worker processes while the parts already parsed are
written to the database (papers.parallel_parse); everything else, and any file where a part
has an error, goes the plain way: parse everything, then write.
"""

import gc
import multiprocessing
import time

from django.core.management.base import BaseCommand, CommandError

from papers.bibtex import EntryError, ParseResult
from papers.importing import (
    BATCH_SIZE,
    apply_import,
    batched_import,
    plan_import,
    prefer_index_scans,
    quiet_bibtexparser,
)
from papers.parallel_parse import PART_ENTRIES, parse_in_parts, quiet_worker

PARSING_PROCESSES = 2


class ProgressBar:
    """A one-line bar on a command's stderr, redrawn per batch."""

    def __init__(self, total, stream, unit="entries", width=30):
        self.total, self.stream, self.unit, self.width = total, stream, unit, width
        self.started = time.monotonic()

    def show(self, done, note=""):
        filled = self.width * done // self.total if self.total else self.width
        elapsed = time.monotonic() - self.started
        bar = "#" * filled + "." * (self.width - filled)
        line = f"\r[{bar}] {done:,}/{self.total:,} {self.unit}{note}  {elapsed:.1f} s"
        self.stream.write(line, ending="")
        self.stream.flush()

    def close(self):
        self.stream.write("")


class _ParseWhole(Exception):
    """A part had an error or repeated a key: parse the files whole instead."""


class Totals(dict):
    def __init__(self):
        super().__init__(created=0, updated=0, aliased=0, unchanged=0)

    def add(self, result):
        self["created"] += len(result.created)
        self["updated"] += len(result.updated)
        self["aliased"] += len(result.aliased)
        self["unchanged"] += len(result.unchanged)


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
        """The whole file, parsed."""
        raise NotImplementedError

    def split(self, path):
        """(parse_part, parts) to parse the file in parts, or None to parse it whole."""
        return None

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
        try:
            splits = [self.split(path) for path in files]
        except OSError as error:
            raise CommandError(f"Cannot read {error.filename}: {error.strerror}") from None
        totals = None
        if all(splits):
            try:
                totals = self._import_in_parts(splits, batch_size, source, verbosity)
            except _ParseWhole:
                totals = None
        if totals is None:
            errors, totals = self._import_whole(files, keep_going, batch_size, source, verbosity)
        else:
            errors = []
        if errors:
            self._report_errors(errors)
        self.stdout.write(
            f"{totals['created']:,} created, {totals['updated']:,} updated, "
            f"{totals['aliased']:,} aliased, {totals['unchanged']:,} already here, "
            f"{len(errors):,} errors."
        )

    def _apply(self, entries, batch_size, source, totals, progress=None, done=0):
        for start in range(0, len(entries), batch_size):
            batch = entries[start : start + batch_size]
            totals.add(apply_import(plan_import(ParseResult(entries=batch)), source=source))
            if progress and progress.unit == "entries":
                progress.show(done + min(start + batch_size, len(entries)))

    def _import_in_parts(self, splits, batch_size, source, verbosity):
        totals = Totals()
        parts_total = sum(len(parts) for _, parts in splits)
        progress = ProgressBar(parts_total, self.stderr, unit="parts") if verbosity else None
        seen_keys = set()
        parts_done = entries_done = 0
        context = multiprocessing.get_context("spawn")  # workers must not share our connection
        with (
            context.Pool(PARSING_PROCESSES, initializer=quiet_worker) as pool,
            batched_import(expected=parts_total * PART_ENTRIES),
        ):
            prefer_index_scans()
            for parse_part, parts in splits:
                for parsed in parse_in_parts(pool, parse_part, parts):
                    if parsed.errors:
                        raise _ParseWhole
                    keys = {entry.key.casefold() for entry in parsed.entries}
                    if len(keys) != len(parsed.entries) or not seen_keys.isdisjoint(keys):
                        raise _ParseWhole
                    seen_keys |= keys
                    self._apply(parsed.entries, batch_size, source, totals)
                    parts_done += 1
                    entries_done += len(parsed.entries)
                    if progress:
                        progress.show(parts_done, f", {entries_done:,} entries")
        if progress:
            progress.close()
        return totals

    def _import_whole(self, files, keep_going, batch_size, source, verbosity):
        entries, errors = [], []
        first_seen = {}
        for path in files:
            try:
                parsed = self.read(path)
            except OSError as error:
                raise CommandError(f"Cannot read {path}: {error.strerror or error}") from None
            for entry in parsed.entries:
                first = first_seen.setdefault(entry.key.casefold(), (path, entry.line))
                if first != (path, entry.line):
                    message = (
                        f"Entry '{entry.key}' at line {entry.line} repeats the key of the entry "
                        f"at line {first[1]} of {first[0]}"
                    )
                    errors.append((path, EntryError(entry.key, entry.line, message)))
                else:
                    entries.append(entry)
            errors.extend((path, error) for error in parsed.errors)

        if errors and not keep_going:
            self._report_errors(errors)
            raise CommandError(
                f"{len(errors)} entr{'y' if len(errors) == 1 else 'ies'} with errors: nothing "
                "imported. Fix them, or use --keep-going to import the others."
            )
        totals = Totals()
        progress = ProgressBar(len(entries), self.stderr) if verbosity and entries else None
        with batched_import(expected=len(entries)):
            prefer_index_scans()
            self._apply(entries, batch_size, source, totals, progress)
        if progress:
            progress.close()
        return errors, totals

    def _report_errors(self, errors):
        for path, error in errors:
            self.stderr.write(f"{path}: {error.message}")
