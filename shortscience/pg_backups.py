"""Backups with PostgreSQL's own tools: `pg_dump -Fc` and `pg_restore`.

Faster than the portable format for PostgreSQL to PostgreSQL, and what point-in-time
recovery builds on. `pg_dump` reads one snapshot exported by our own REPEATABLE READ
transaction, in which the rows are also counted, so the counts in the manifest are exactly
what the dump holds. Next to `<name>.pgdump` the backup writes:

- `<name>.pgdump.manifest.json`: format version, the counts, the dump's SHA-256; written
  last, so a dump without it is an interrupted one;
- `<name>.pgdump.media.jsonl.gz`, when there are uploaded files: the portable format with
  only the files (shortscience.backups), restored with the dump.
"""

import datetime
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

from django.db import connection, transaction

from . import backups

FORMAT = "shortscience-pgdump"
VERSION = 1
MAGIC = b"PGDMP"


def manifest_path(path):
    return Path(f"{path}.manifest.json")


def media_path(path):
    return Path(f"{path}.media.jsonl.gz")


def is_pg_dump(path):
    try:
        with open(path, "rb") as stream:
            return stream.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _client_environment():
    """libpq's environment for pg_dump and pg_restore: the site's own database settings."""
    database = connection.settings_dict
    values = {
        "PGHOST": database.get("HOST"),
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
        "PGDATABASE": database.get("NAME"),
    }
    return {**os.environ, **{k: v for k, v in values.items() if v}}


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_pg_dump(path, *, progress=None):
    """Dump the database to ``path`` with pg_dump -Fc; return the row counts per table."""
    if connection.vendor != "postgresql":
        raise backups.BackupError("--pg-dump needs PostgreSQL; the portable format works anywhere")
    if connection.in_atomic_block:
        raise backups.BackupError(
            "a backup takes its own snapshot: start it outside any transaction"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            tables = {
                model._meta.label_lower: model._base_manager.count()
                for model in backups.backed_up_models()
            }
            if progress:
                progress("pg_dump", 0, 0)
            # pg_dump reads the snapshot while this transaction holds it open.
            dumped = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot}", f"--file={partial}"],
                env=_client_environment(),
                capture_output=True,
                text=True,
            )  # fmt: skip
        if dumped.returncode != 0:
            raise backups.BackupError(f"pg_dump failed: {dumped.stderr.strip()}")
        files = 0
        if backups.media_root() and backups.media_root().is_dir():
            media = media_path(path)
            backups.write_backup(media, progress=progress, include_tables=False)
            files = backups.check_file(media).files
        os.replace(partial, path)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created": datetime.datetime.now(datetime.UTC).isoformat(),
            "tables": tables,
            "files": files,
            "sha256": _sha256(path),
        }
        manifest_path(path).write_text(json.dumps(manifest, indent=1) + "\n")
    finally:
        partial.unlink(missing_ok=True)
    return tables


def check_pg_dump(path):
    """The manifest of a complete, undamaged dump, or BackupError. Changes nothing."""
    try:
        manifest = json.loads(manifest_path(path).read_text())
    except FileNotFoundError:
        raise backups.BackupError(
            f"no {manifest_path(path).name} beside it (an interrupted backup?)"
        ) from None
    except ValueError:
        raise backups.BackupError(f"{manifest_path(path).name} is not JSON") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise backups.BackupError(
            f"manifest format {manifest.get('format')} version {manifest.get('version')};"
            f" this version reads {FORMAT} {VERSION}"
        )
    if manifest.get("sha256") != _sha256(path):
        raise backups.BackupError("checksum mismatch: the dump is damaged")
    listed = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True, text=True)
    if listed.returncode != 0:
        raise backups.BackupError(f"pg_restore cannot read it: {listed.stderr.strip()}")
    if manifest.get("files"):
        contents = backups.check_file(media_path(path))
        if contents.files != manifest["files"]:
            raise backups.BackupError("the uploaded files do not match the manifest")
    return manifest


def restore_pg_dump(path, manifest, *, progress=None):
    """Replace the database with the dump (one transaction), then its uploaded files."""
    if connection.vendor != "postgresql":
        raise backups.BackupError("a pg_dump file restores only into PostgreSQL")
    started = time.monotonic()
    connection.close()  # pg_restore drops and recreates tables: hold nothing open on them
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
               "--single-transaction", "--exit-on-error", "--verbose",
               f"--dbname={connection.settings_dict['NAME']}", str(path)]  # fmt: skip
    process = subprocess.Popen(
        command, env=_client_environment(), stderr=subprocess.PIPE, text=True
    )
    tail, steps = [], 0
    for line in process.stderr:
        steps += 1
        tail = (tail + [line.rstrip()])[-5:]
        if progress:
            progress("pg_restore steps", steps, 0)
    if process.wait() != 0:
        raise backups.BackupError("pg_restore failed, nothing restored: " + " / ".join(tail))
    restored = {
        label: backups.model_for(label)._base_manager.count() for label in manifest["tables"]
    }
    files = 0
    if manifest.get("files"):
        files = backups.restore_media(media_path(path), progress)
    return backups.Restored(manifest["tables"], restored, files, time.monotonic() - started)
