"""Backups of the whole site in a portable file, streamed in both directions.

The file is gzip'd JSON lines, written and read one batch at a time, so memory stays flat
whatever the size of the site:

    {"format": "shortscience-backup", "version": 2, "created": ..., "migrations": {...}}
    {"table": "papers.paper", "columns": ["id", "bibtex_key", ...]}
    [1, "conf/nips/RenHGS15", ...]                 one line per row, in primary-key order
    {"end": "papers.paper", "rows": 100000}
    {"file": "avatars/alice.png", "size": 5120}    uploaded files (MEDIA_ROOT), base64 chunks
    ["iVBORw0KGgo..."]
    {"end": "avatars/alice.png", "rows": 1}
    {"trailer": true, "tables": {...}, "files": 1, "sha256": "<of every line above>"}

The backup reads every table inside one transaction (REPEATABLE READ on PostgreSQL, a
read transaction on SQLite's write-ahead log), so it is one consistent snapshot however
much is written meanwhile. A restore checks the whole file (format, version, checksum,
counts, that this code knows every table and column) before it changes anything, then loads
it in one transaction and compares what it restored with the counts in the file.
Derived data (the full-text index) is not in the file; the restore rebuilds it.
"""

import base64
import csv
import datetime
import decimal
import gzip
import hashlib
import io
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.core.management.color import no_style
from django.db import IntegrityError, connection, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.duration import duration_iso_string

FORMAT = "shortscience-backup"
VERSION = 2
# Rebuilt by migrate on the target (content types, permissions) or meaningless there
# (sessions, Django's admin log).
NOT_BACKED_UP = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "admin.logentry",
    # The task queue and the outgoing mail are operational state: a restore must not resend.
    "django_tasks_database.dbtaskresult",
    "accounts.outgoingmessage",
}
# Derived data that PostgreSQL takes far longer to rebuild than to load: backed up from
# PostgreSQL for PostgreSQL; any other restore rebuilds it (and SQLite's FTS5 table).
DERIVED = {"papers.searchdocument"}
# What a restore must not overwrite unless told: a site with any of these has been used.
USED_SITE_MODELS = ("accounts.user", "papers.paper", "summaries.summary")
BATCH_ROWS = 5000
# Rows with long text (summaries, revisions) are fetched fewer at a time, to keep memory flat.
WIDE_BATCH_ROWS = 200
BATCH_BYTES = 4 << 20  # a restore inserts at most this much decoded text per statement
WRITE_BUFFER = 1 << 20  # bytes of lines gathered before they are hashed and compressed
MEDIA_CHUNK = 192 * 1024  # raw bytes per base64 line of an uploaded file
# Fast enough to keep up with the database on one core; level 6 is twice as slow for 15% less.
COMPRESS_LEVEL = 3
NAME_PATTERN = re.compile(r"^shortscience-\d{8}T\d{6}Z\.(jsonl\.gz|json\.gz|pgdump)$")


class BackupError(Exception):
    """The file cannot be restored here; nothing was changed."""


def default_path(directory="backups", suffix="jsonl.gz"):
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(directory) / f"shortscience-{stamp}.{suffix}"


# What is backed up, in an order where every row comes after the rows it points to --------


def backed_up_models():
    """Every table with data of its own, parents before children (foreign keys)."""
    chosen = {
        model._meta.label_lower: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and not model._meta.swapped
        and model._meta.label_lower not in NOT_BACKED_UP
        and (model._meta.label_lower not in DERIVED or connection.vendor == "postgresql")
    }
    graph = TopologicalSorter()
    for label, model in sorted(chosen.items()):
        parents = {
            f.related_model._meta.label_lower
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is not model
        }
        graph.add(label, *sorted(parents & chosen.keys()))
    try:
        order = list(graph.static_order())
    except CycleError as error:  # a cycle of foreign keys: still loads, checked at commit
        raise BackupError(f"foreign keys form a cycle: {error.args[1]}") from None
    return [chosen[label] for label in order if label in chosen]


def _columns(model):
    derived = model._meta.label_lower in DERIVED
    return [
        f
        for f in model._meta.concrete_fields
        if not isinstance(f, models.GeneratedField)
        and (derived or not isinstance(f, SearchVectorField))
    ]


def _natural_key_kind(f):
    if f.is_relation and f.related_model is ContentType:
        return "contenttype"
    if f.is_relation and f.related_model is Permission:
        return "permission"
    return None


# Writing -----------------------------------------------------------------------------------


def _encode_value(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


_encode = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=_encode_value, check_circular=False
).encode


class _LineWriter:
    """Lines into a gzip file, hashed as they go; the trailer carries the hash."""

    def __init__(self, raw):
        self.gzip = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=COMPRESS_LEVEL)
        self.sha256 = hashlib.sha256()
        self.pending, self.pending_bytes = [], 0

    def line(self, text):
        data = text.encode("utf-8") + b"\n"
        self.pending.append(data)
        self.pending_bytes += len(data)
        if self.pending_bytes >= WRITE_BUFFER:
            self.flush()

    def flush(self):
        data = b"".join(self.pending)
        self.sha256.update(data)
        self.gzip.write(data)
        self.pending, self.pending_bytes = [], 0

    def close(self, trailer):
        self.flush()
        trailer["sha256"] = self.sha256.hexdigest()
        self.gzip.write(_encode(trailer).encode("utf-8") + b"\n")
        self.gzip.close()


def _natural_keys():
    """Content types and permissions by id, as keys that mean the same in any database."""
    types = {ct.pk: [ct.app_label, ct.model] for ct in ContentType.objects.all()}
    permissions = {
        pk: [*types[ct], codename]
        for pk, ct, codename in Permission.objects.values_list("pk", "content_type", "codename")
    }
    return {"contenttype": types, "permission": permissions}


def _start_snapshot():
    """Make the current transaction one snapshot of the whole database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    # SQLite in WAL mode: a transaction's reads all see the database as at its first read.


def write_backup(path, *, progress=None, include_tables=True):
    """Write the whole site to ``path`` (via a temporary file, renamed when complete) and
    return the row counts per table. ``progress(label, done, total)`` is called per batch.
    Without ``include_tables``, only the uploaded files: pg_dump's companion."""
    if connection.in_atomic_block:
        raise BackupError("a backup takes its own snapshot: start it outside any transaction")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    tables = {}
    try:
        with open(partial, "wb") as raw:
            writer = _LineWriter(raw)
            with transaction.atomic():
                _start_snapshot()
                writer.line(_encode(_header()))
                natural = _natural_keys()
                for model in backed_up_models() if include_tables else ():
                    label = model._meta.label_lower
                    tables[label] = _write_table(writer, model, natural, progress)
            files = _write_media(writer, progress)
            writer.close({"trailer": True, "tables": tables, "files": files})
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return tables


def _header():
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = {}
    for app_label, name in sorted(loader.applied_migrations):
        applied.setdefault(app_label, []).append(name)
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": datetime.datetime.now(datetime.UTC).isoformat(),
        "database": connection.vendor,
        "migrations": applied,
    }


def _write_table(writer, model, natural, progress):
    label = model._meta.label_lower
    columns = _columns(model)
    writer.line(_encode({"table": label, "columns": [f.attname for f in columns]}))
    mapped = [
        (index, natural[kind])
        for index, f in enumerate(columns)
        if (kind := _natural_key_kind(f)) is not None
    ]
    queryset = model._base_manager.order_by("pk").values_list(*[f.attname for f in columns])
    total = queryset.count() if progress else 0
    wide = any(isinstance(f, models.TextField | models.JSONField) for f in columns)
    rows = 0
    for row in queryset.iterator(chunk_size=WIDE_BATCH_ROWS if wide else BATCH_ROWS):
        if mapped:
            row = list(row)
            for index, keys in mapped:
                if row[index] is not None:
                    row[index] = keys[row[index]]
        writer.line(_encode(row))
        rows += 1
        if progress and rows % BATCH_ROWS == 0:
            progress(label, rows, total)
    if progress:
        progress(label, rows, total)
    writer.line(_encode({"end": label, "rows": rows}))
    return rows


def media_root():
    """The directory of uploaded files, when the site has one."""
    root = getattr(settings, "MEDIA_ROOT", "")
    return Path(root) if root else None


def _write_media(writer, progress):
    root = media_root()
    if root is None or not root.is_dir():
        return 0
    files = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        relative = path.relative_to(root).as_posix()
        try:
            handle = open(path, "rb")
        except FileNotFoundError:  # deleted while the backup ran
            continue
        with handle:
            size = os.fstat(handle.fileno()).st_size
            writer.line(_encode({"file": relative, "size": size}))
            chunks = 0
            while chunk := handle.read(MEDIA_CHUNK):
                writer.line(_encode([base64.b64encode(chunk).decode("ascii")]))
                chunks += 1
        writer.line(_encode({"end": relative, "rows": chunks}))
        files += 1
        if progress:
            progress("uploaded files", files, 0)
    return files


# Reading and checking ----------------------------------------------------------------------


@dataclass
class Contents:
    """What a checked backup file holds."""

    header: dict
    tables: dict  # label -> rows, in file order
    columns: dict  # label -> column names
    files: int = 0
    file_bytes: int = 0
    media_paths: list = field(default_factory=list)


def _lines(path):
    with gzip.open(path, "rb") as stream:
        yield from stream


def is_legacy(path):
    """A file from the old `backup` command: Django's dumpdata JSON, gzip'd."""
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read(1) == b"["
    except (OSError, EOFError):
        return False


def check_file(path):
    """Read the whole file and return its Contents, or raise BackupError saying what is wrong
    with it. Reads it once, in constant memory; changes nothing."""
    sha256 = hashlib.sha256()
    contents, section, rows, trailer = None, None, 0, None
    try:
        for number, line in enumerate(_lines(path), start=1):
            if trailer is not None:
                raise BackupError(f"line {number}: data after the trailer")
            if line.startswith(b'{"trailer"'):
                trailer = _control(line, number)
                continue
            sha256.update(line)
            if contents is None:
                contents = Contents(
                    header=_checked_header(_control(line, number)), tables={}, columns={}
                )
                continue
            if line.startswith(b"["):
                if section is None:
                    raise BackupError(f"line {number}: a row outside any table")
                rows += 1
                continue
            control = _control(line, number)
            if section is None and "table" in control:
                section = control["table"]
                if section in contents.columns:
                    raise BackupError(f"line {number}: table {section} appears twice")
                contents.columns[section] = control["columns"]
            elif section is None and "file" in control:
                section = control["file"]
                contents.media_paths.append(_checked_media_path(section, number))
                contents.file_bytes += int(control["size"])
            elif section is not None and control.get("end") == section:
                if control.get("rows") != rows:
                    raise BackupError(
                        f"line {number}: {section} says {control.get('rows')} rows, has {rows}"
                    )
                if section in contents.columns:
                    contents.tables[section] = rows
                else:
                    contents.files += 1
                section, rows = None, 0
            else:
                raise BackupError(f"line {number}: unexpected {line[:80]!r}")
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise BackupError(f"cannot read the file: {error} (truncated or not a backup?)") from None
    if contents is None:
        raise BackupError("the file is empty")
    if trailer is None or section is not None:
        raise BackupError("the file ends early: no trailer (an interrupted backup?)")
    if trailer.get("sha256") != sha256.hexdigest():
        raise BackupError("checksum mismatch: the file is damaged")
    if trailer.get("tables") != contents.tables or trailer.get("files", 0) != contents.files:
        raise BackupError("the trailer's counts do not match the file")
    _check_known_here(contents)
    return contents


def _control(line, number):
    try:
        value = json.loads(line)
    except ValueError:
        raise BackupError(f"line {number}: not JSON") from None
    if not isinstance(value, dict):
        raise BackupError(f"line {number}: unexpected {line[:80]!r}")
    return value


def _checked_header(header):
    if header.get("format") != FORMAT:
        raise BackupError("not a ShortScience backup (no header)")
    if header.get("version") != VERSION:
        raise BackupError(
            f"backup format version {header.get('version')}; this version reads {VERSION}"
        )
    return header


def _checked_media_path(relative, number):
    parts = Path(relative).parts
    if not relative or Path(relative).is_absolute() or ".." in parts or "\\" in relative:
        raise BackupError(f"line {number}: unsafe file name {relative!r}")
    return relative


def _check_known_here(contents):
    """Every migration, table and column in the file must be known to this code."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app_label, names in contents.header.get("migrations", {}).items():
        unknown = [name for name in names if (app_label, name) not in loader.disk_migrations]
        if unknown and app_label in apps.app_configs:
            raise BackupError(
                f"the backup comes from a newer version of the site (migration {app_label}."
                f"{unknown[0]} is unknown here): upgrade the code, then restore"
            )
    for label, names in contents.columns.items():
        model = model_for(label)
        known = {f.attname for f in _columns(model)}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise BackupError(f"{label}.{unknown[0]} is not a column here")
        missing = [
            f.attname
            for f in _columns(model)
            if f.attname not in names and not f.has_default() and not f.null
        ]
        if missing:
            raise BackupError(f"{label}.{missing[0]} is missing from the backup and has no default")


def model_for(label):
    app_label, _, model_name = label.partition(".")
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        raise BackupError(f"the backup has table {label}, which this site does not") from None


# Restoring ---------------------------------------------------------------------------------


def site_is_used():
    return any(apps.get_model(label)._base_manager.exists() for label in USED_SITE_MODELS)


@dataclass
class Restored:
    in_file: dict
    restored: dict
    files: int
    seconds: float


def restore(path, contents, *, progress=None):
    """Replace everything in the database (and MEDIA_ROOT's files) with the checked backup
    ``contents`` of ``path``, in one transaction. The caller has checked that the database
    is empty or that the user wants it overwritten."""
    started = time.monotonic()
    with transaction.atomic():
        _clear_tables()
        constraints, indexes = _drop_foreign_keys_and_indexes()
        loaded = _load_tables(path, contents, progress)
        _reset_sequences(loaded)
        if progress:
            progress("foreign keys, indexes and search index", 0, 0)
        _add_foreign_keys(constraints)
        _analyze()
        loaded_labels = {model._meta.label_lower for model in loaded}
        if connection.vendor == "sqlite" or not DERIVED <= loaded_labels:
            _rebuild_search_index()
        _add_indexes(indexes)
        restored = {
            label: model_for(label)._base_manager.count() if label in loaded_labels else None
            for label in contents.tables
        }
        wrong = [
            label
            for label, rows in restored.items()
            if rows is not None and rows != contents.tables[label]
        ]
        if wrong:
            raise BackupError(f"restored counts differ from the file's for {', '.join(wrong)}")
    files = restore_media(path, progress)
    return Restored(contents.tables, restored, files, time.monotonic() - started)


def _cleared_models():
    """Everything a restore replaces: the backed-up tables and the ones that point at them."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and not model._meta.swapped
        and model._meta.label_lower not in {"contenttypes.contenttype", "auth.permission"}
    ]


def _clear_tables():
    cleared = _cleared_models()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(quote(model._meta.db_table) for model in cleared)
            cursor.execute(f"TRUNCATE {names}")
        else:
            backed_up = backed_up_models()
            rest = [model for model in cleared if model not in backed_up]
            for model in rest + backed_up[::-1]:
                cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")
            from papers.search import FTS_TABLE

            cursor.execute(f"DELETE FROM {FTS_TABLE}")


def _load_tables(path, contents, progress):
    """Load every table section of the file; return the models loaded."""
    loaded = []
    natural = _natural_ids()
    lines = _lines(path)
    for line in lines:
        if line.startswith(b"["):
            continue  # a chunk of an uploaded file, restored later
        control = json.loads(line)
        if "table" not in control:
            continue
        label = control["table"]
        rows = _section_rows(lines)
        if label in DERIVED and connection.vendor != "postgresql":
            for _ in rows:  # rebuilt instead
                pass
            continue
        model = model_for(label)
        total = contents.tables[label]

        def report(done, label=label, total=total):
            if progress:
                progress(label, done, total)

        report(0)
        loaded_rows = _table_loader(model, control["columns"], natural)(rows, report)
        for _ in rows:  # a loader that stopped early has failed; never mistake the next line
            raise BackupError(f"{label}: rows left over")
        report(loaded_rows)
        loaded.append(model)
    return loaded


def _section_rows(lines):
    """The decoded rows of the current section, up to (and consuming) its end line."""
    for line in lines:
        if not line.startswith(b"["):
            return
        yield json.loads(line)


def _natural_ids():
    types = {(ct.app_label, ct.model): ct.pk for ct in ContentType.objects.all()}
    permissions = {
        (*key, codename): pk
        for pk, codename, *key in Permission.objects.values_list(
            "pk", "codename", "content_type__app_label", "content_type__model"
        )
    }
    return {"contenttype": types, "permission": permissions}


def _table_loader(model, names, natural):
    """A function that inserts the rows of an iterable (lists in the file's column order),
    calls ``report(rows so far)`` now and then, and returns how many rows it inserted."""
    by_attname = {f.attname: f for f in _columns(model)}
    fields = [by_attname[name] for name in names]
    defaults = [f for f in _columns(model) if f.attname not in names]
    if connection.vendor == "postgresql" and not defaults:
        kinds = [_copy_kind(f) for f in fields]
        if None not in kinds:
            return _copy_loader(model, fields, kinds, natural)
    return _insert_loader(model, fields, defaults, natural)


def _insert_loader(model, fields, defaults, natural):
    """Batched INSERTs of values prepared by each field for this database (SQLite, and any
    column type COPY below does not know)."""
    extra = [f.get_db_prep_save(f.get_default(), connection) for f in defaults]
    steps = [_converter(f, natural) or _generic_prep(f) for f in fields]
    quote = connection.ops.quote_name
    columns = [*fields, *defaults]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)})"
        f" VALUES ({', '.join(['%s'] * len(columns))})"
    )
    label, width = model._meta.label_lower, len(fields)

    def insert(rows, report):
        done, batch, batch_bytes = 0, [], 0
        for row in rows:
            if len(row) != width:
                raise BackupError(f"{label}: a row has the wrong number of columns")
            batch.append(
                [
                    None if value is None else step(value)
                    for step, value in zip(steps, row, strict=True)
                ]
                + extra
            )
            batch_bytes += sum(len(value) for value in row if isinstance(value, str))
            if len(batch) >= BATCH_ROWS or batch_bytes >= BATCH_BYTES:
                _execute_many(sql, batch)
                done += len(batch)
                batch, batch_bytes = [], 0
                report(done)
        if batch:
            _execute_many(sql, batch)
            done += len(batch)
        return done

    return insert


def _execute_many(sql, rows):
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _converter(f, natural):
    """For a foreign key to a content type or a permission: from its natural key to the id
    it has here."""
    kind = _natural_key_kind(f)
    if kind is None:
        return None
    ids = natural[kind]

    def to_id(key):
        try:
            return ids[tuple(key)]
        except (KeyError, TypeError):
            raise BackupError(f"{key} does not exist here") from None

    return to_id


def _identity(value):
    return value


PLAIN_TYPES = {
    "CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField",
    "FileField", "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
    "PositiveSmallIntegerField", "PositiveBigIntegerField", "AutoField", "BigAutoField",
    "SmallAutoField", "FloatField", "BooleanField",
}  # fmt: skip


def _internal_type(f):
    return f.target_field.get_internal_type() if f.is_relation else f.get_internal_type()


def _generic_prep(f):
    """From a value as the file holds it to one the database driver takes."""
    if _internal_type(f) in PLAIN_TYPES:
        return _identity
    return lambda value: f.get_db_prep_save(f.to_python(value), connection)


# PostgreSQL: one streamed COPY per table, in CSV, from the file's JSON values ----------------

# Text, numbers and ISO 8601 strings in the file that PostgreSQL reads as they are.
_COPY_AS_IS = {
    "CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField",
    "FileField", "GenericIPAddressField", "SearchVectorField", "IntegerField",
    "BigIntegerField", "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
    "PositiveBigIntegerField", "AutoField", "BigAutoField", "SmallAutoField", "FloatField",
    "BooleanField", "DateTimeField", "DateField", "TimeField", "DecimalField", "UUIDField",
    "DurationField",
}  # fmt: skip
COPY_NULL = "\\N"  # NULL in the COPY: an empty field is an empty string


def _copy_kind(f):
    internal = _internal_type(f)
    if internal in _COPY_AS_IS:
        return "as-is"
    if internal == "JSONField":
        return "json"
    if internal == "BinaryField":
        return "binary"
    return None


def _copy_step(kind):
    if kind == "json":
        return lambda value: json.dumps(value, ensure_ascii=False)
    return lambda value: "\\x" + base64.b64decode(value).hex()


class _CopySource:
    """A file-like object for COPY ... FROM STDIN: CSV text made from rows as PostgreSQL
    reads it, so that the database parses one part while the next is decoded here."""

    def __init__(self, rows, convert, report):
        self.rows, self.convert, self.report = iter(rows), convert, report
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.done = 0
        self.literal_nulls = []  # rows with a text that reads as the NULL marker

    def read(self, size=-1):
        batch = []
        for row in self.rows:
            row = self.convert(row)
            if COPY_NULL in row:
                self.literal_nulls.append(row)
                continue
            batch.append([COPY_NULL if value is None else value for value in row])
            if len(batch) >= 1000:
                break
        if not batch:
            return ""
        self.writer.writerows(batch)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        self.done += len(batch)
        if self.done % BATCH_ROWS < len(batch):
            self.report(self.done)
        return text.replace("\x00", "") if "\x00" in text else text


def _copy_loader(model, fields, kinds, natural):
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column) for f in fields)
    special = [
        (index, _converter(f, natural) or _copy_step(kind))
        for index, (f, kind) in enumerate(zip(fields, kinds, strict=True))
        if kind != "as-is" or _natural_key_kind(f)
    ]
    label, width = model._meta.label_lower, len(fields)

    def convert(row):
        if len(row) != width:
            raise BackupError(f"{label}: a row has the wrong number of columns")
        for index, step in special:
            if row[index] is not None:
                row[index] = step(row[index])
        return row

    def copy(rows, report):
        source = _CopySource(rows, convert, report)
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '{COPY_NULL}')",
                source,
                1 << 16,  # bytes asked for per read
            )
            if source.literal_nulls:  # rare: text that COPY would take for a NULL
                cursor.executemany(
                    f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * width)})",
                    source.literal_nulls,
                )
        return source.done + len(source.literal_nulls)

    return copy


def _drop_foreign_keys_and_indexes():
    """On PostgreSQL, drop the foreign keys and the plain indexes (not those of primary keys
    and unique constraints) of the tables being loaded, to add them back when they are full,
    as pg_restore does: row by row they cost more than loading the rows; added back, each
    key is checked by one join and each index built in one sort. All in the restore's
    transaction, so a failed restore puts them back too."""
    if connection.vendor != "postgresql":
        return [], []
    tables = [model._meta.db_table for model in _cleared_models()]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])"
            " ORDER BY 1, 2",
            [tables],
        )
        constraints = cursor.fetchall()
        for table, name, _ in constraints:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return constraints, indexes


def _add_indexes(indexes):
    with connection.cursor() as cursor:
        if indexes:
            cursor.execute("SET LOCAL maintenance_work_mem = '128MB'")
        for _, definition in indexes:
            cursor.execute(definition)


def _add_foreign_keys(constraints):
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, name, definition in constraints:
            try:
                with transaction.atomic():
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )
            except IntegrityError as error:
                raise BackupError(f"{table}: a row points at a missing row ({error})") from None
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_key_check")
            broken = cursor.fetchone()
            if broken:
                raise BackupError(f"{broken[0]}: row {broken[1]} points at a missing row")


def _analyze():
    """Planner statistics for the new rows, before the search index is built from them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _reset_sequences(restored_models):
    """New rows must get ids after the restored ones (PostgreSQL keeps counters apart from
    the tables; SQLite's follow the largest id inserted)."""
    statements = connection.ops.sequence_reset_sql(no_style(), restored_models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _rebuild_search_index():
    from papers.models import Paper

    Paper.objects.all().update_search_vectors()


def restore_media(path, progress):
    """Write the file's uploaded files into MEDIA_ROOT, each via a temporary name."""
    root = media_root()
    handle, target, files = None, None, 0
    try:
        for line in _lines(path):
            if handle is not None and line.startswith(b"["):
                handle.write(base64.b64decode(json.loads(line)[0]))
                continue
            if line.startswith(b"["):
                continue
            control = json.loads(line)
            if "file" in control:
                if root is None:
                    raise BackupError("the backup has uploaded files but MEDIA_ROOT is not set")
                target = root / control["file"]
                target.parent.mkdir(parents=True, exist_ok=True)
                handle = open(target.with_name(target.name + ".restoring"), "wb")
            elif handle is not None and "end" in control:
                handle.close()
                os.replace(handle.name, target)
                handle, files = None, files + 1
                if progress:
                    progress("uploaded files", files, 0)
    finally:
        if handle is not None:
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
    return files


# Rotation ----------------------------------------------------------------------------------


def rotate(directory, *, keep):
    """Delete all but the ``keep`` newest backups named shortscience-<time>.* in
    ``directory`` (with their companions); return the paths deleted."""
    directory = Path(directory)
    backups = sorted(
        (p for p in directory.iterdir() if NAME_PATTERN.match(p.name)),
        key=lambda p: p.name.split(".", 1)[0],
    )
    removed = []
    for old in backups[: max(len(backups) - keep, 0)]:
        for companion in [old, *directory.glob(old.name + ".*")]:
            companion.unlink(missing_ok=True)
            removed.append(companion)
    return removed
