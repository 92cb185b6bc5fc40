"""Backups and restores: a consistent snapshot while the site is busy, the file checked before
anything changes, counts reported, sequences reset, uploaded files kept, old backups rotated.

The end-to-end tests run `manage.py` in processes of their own against databases of their
own: SQLite files always, and PostgreSQL databases (ss_backup_t_<random>) on the server of
DATABASE_URL when the suite runs on PostgreSQL.
"""

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from papers.models import Paper
from shortscience import backups
from summaries.models import Comment, Summary, Vote

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")
VENDORS = ["sqlite", "postgresql"] if ON_POSTGRES else ["sqlite"]


def _manage(*args, env, **kwargs):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "SQLITE_", "REDIS_", "PAGE_CACHE"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_DEBUG": "1", "REQUEST_LOG_LEVEL": "WARNING", **env},
        capture_output=True,
        text=True,
        **kwargs,
    )


def _shell(code, env):
    result = _manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def new_database(tmp_path):
    """Makes empty databases of either kind; returns the environment that selects one."""
    created = []

    def make(vendor):
        name = f"ss_backup_t_{uuid.uuid4().hex[:10]}"
        if vendor == "sqlite":
            return {"SQLITE_PATH": str(tmp_path / f"{name}.sqlite3")}
        url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()
        _admin_sql(f'CREATE DATABASE "{name}"')
        created.append(name)
        return {"DATABASE_URL": url}

    yield make
    for name in created:
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_sql(statement):
    import psycopg2

    url = urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl()
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(statement)
    admin.close()


COUNTS = (
    "from summaries.models import *; from papers.models import Paper, SearchDocument;"
    "from accounts.models import User; import json;"
    "print(json.dumps({'summaries': Summary.objects.count(), 'votes': Vote.objects.count(),"
    " 'comments': Comment.objects.count(), 'papers': Paper.objects.count(),"
    " 'users': User.objects.count(), 'citations': Citation.objects.count()}))"
)


def _counts(env):
    return json.loads(_shell(COUNTS, env).strip().splitlines()[-1])


def _file_tables(path):
    with gzip.open(path, "rt") as stream:
        *_, trailer = stream
    return json.loads(trailer)["tables"]


@pytest.mark.parametrize(
    "vendor,pg_dump",
    [("sqlite", False), *([("postgresql", False), ("postgresql", True)] * ON_POSTGRES)],
    ids=lambda value: {False: "portable", True: "pg_dump"}.get(value, value),
)
def test_backup_taken_while_others_write_restores_completely(
    vendor, pg_dump, new_database, tmp_path
):
    source = new_database(vendor)
    assert _manage("migrate", "--noinput", env=source).returncode == 0
    _shell("from tests.backup_activity import seed; seed(300)", source)
    stop = str(tmp_path / "stop")
    writer = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c",
         f"from tests.backup_activity import write_until; write_until({stop!r})"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
             "DJANGO_DEBUG": "1", **source},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not Path(stop + ".started").exists():
            assert writer.poll() is None and time.monotonic() < deadline, writer.stderr.read()
            time.sleep(0.05)
        backup = tmp_path / ("busy.pgdump" if pg_dump else "busy.jsonl.gz")
        taken = _manage("backup", *["--pg-dump"] * pg_dump, str(backup), env=source)
        assert taken.returncode == 0, taken.stderr
        assert writer.poll() is None, "the writer kept writing all through the backup"
    finally:
        Path(stop).touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert int(out.split()[-1]) > 0

    in_file = _manifest_tables(backup) if pg_dump else _file_tables(backup)
    after = _counts(source)
    # Written during and after the backup: the site has more than the snapshot.
    assert after["summaries"] > in_file["summaries.summary"] >= 300

    target = new_database(vendor)
    restored = _manage("restore", str(backup), env=target)
    assert restored.returncode == 0, restored.stderr
    assert _row(restored.stdout, "summaries.vote") == [in_file["summaries.vote"]] * 2
    assert _counts(target) == {
        "summaries": in_file["summaries.summary"],
        "votes": in_file["summaries.vote"],
        "comments": in_file["summaries.comment"],
        "papers": in_file["papers.paper"],
        "users": in_file["accounts.user"],
        "citations": in_file["summaries.citation"],
    }
    # Every vote and comment in the snapshot points at a summary it has, with its three
    # votes and one comment: nothing half-written made it in.
    assert in_file["summaries.vote"] == 3 * in_file["summaries.summary"]
    assert in_file["summaries.comment"] == in_file["summaries.summary"]
    # New rows get ids of their own after the restored ones.
    _shell("from tests.backup_activity import add_one; add_one('after-restore')", target)
    assert _counts(target)["votes"] == in_file["summaries.vote"] + 3


def _manifest_tables(path):
    return json.loads(Path(f"{path}.manifest.json").read_text())["tables"]


def _row(output, label):
    for line in output.splitlines():
        if line.startswith(label + " "):
            return [int(cell.replace(",", "")) for cell in line[len(label) :].split()]
    raise AssertionError(f"no line for {label} in {output}")


@pytest.mark.parametrize(
    "source_vendor,target_vendor",
    [("sqlite", "sqlite"), *([("sqlite", "postgresql"), ("postgresql", "sqlite")] * ON_POSTGRES)],
)
def test_restore_brings_back_what_readers_see_across_databases(
    source_vendor, target_vendor, new_database, tmp_path
):
    source = new_database(source_vendor)
    assert _manage("migrate", "--noinput", env=source).returncode == 0
    _shell("from tests.backup_activity import seed; seed(3)", source)
    pages = (
        "from django.test import Client; c = Client();"
        "from summaries.models import Summary; s = Summary.objects.order_by('pk').first();"
        "print(s.html); print(c.get(s.paper.get_absolute_url()).status_code);"
        "r = c.get('/search/', {'q': 'Paper seed1'}); print('test/seed1' in r.content.decode())"
    )
    source["DJANGO_ALLOWED_HOSTS"] = "testserver"
    before = _shell(pages, source).splitlines()[-3:]
    backup = tmp_path / "site.jsonl.gz"
    assert _manage("backup", str(backup), env=source).returncode == 0

    target = new_database(target_vendor)
    restored = _manage("restore", str(backup), env=target)
    assert restored.returncode == 0, restored.stderr
    target["DJANGO_ALLOWED_HOSTS"] = "testserver"
    after = _shell(pages, target).splitlines()[-3:]
    assert before[0].startswith("<p>") and before[1] == "200"
    # The full-text index was rebuilt; how each database's search ranks differs.
    assert after == before if source_vendor == target_vendor else after[:2] == before[:2]
    assert _counts(target) == _counts(source)


# In-process tests: the backup takes its own transaction, so these run outside one.


@pytest.fixture
def site(transactional_db, summary, stranger):
    Vote.objects.create(summary=summary, user=stranger, value=1)
    Comment.objects.create(summary=summary, author=stranger, source="A comment.")
    return summary


@pytest.fixture
def backup_file(site, tmp_path):
    path = tmp_path / "site.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    return path


def _rewrite(path, edit, *, rehash=False):
    """Rewrite the file's lines through edit(lines) -> lines, keeping it gzip'd; with
    ``rehash``, as a tool that knows the format would (the checksum made to match)."""
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        lines = edit(stream.readlines())
    if rehash:
        trailer = json.loads(lines[-1])
        trailer["sha256"] = hashlib.sha256("".join(lines[:-1]).encode()).hexdigest()
        lines[-1] = json.dumps(trailer) + "\n"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.writelines(lines)


def _restore(path, **options):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("restore", str(path), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_restore_refuses_a_used_database_unless_forced(backup_file, site):
    User.objects.create_user("newcomer", "new@example.org", "x")
    with pytest.raises(CommandError, match="already has accounts, papers or summaries"):
        _restore(backup_file)
    assert User.objects.filter(username="newcomer").exists()

    out, err = _restore(backup_file, force=True)
    assert not User.objects.filter(username="newcomer").exists()
    assert Summary.objects.get().source == site.source
    assert _row(out, "summaries.vote") == [1, 1]
    assert _row(out, "accounts.user") == [2, 2]
    assert "Restored" in out and "summaries.summary: 1/1" in err  # progress on stderr


@pytest.mark.parametrize(
    "damage,rehash,message",
    [
        (lambda lines: [line.replace("A comment.", "A c0mment.") for line in lines], False,
         "checksum mismatch"),
        (lambda lines: lines[:-1], False, "ends early"),
        (lambda lines: lines[: len(lines) // 2] + lines[-1:], True,
         "ends early|trailer's counts"),
        (lambda lines: [lines[0].replace('"version":2', '"version":3'), *lines[1:]], True,
         "format version 3"),
        (lambda lines: [lines[0].replace('"0001_initial"', '"0999_from_the_future"', 1),
                        *lines[1:]], True, "newer version of the site"),
        (lambda lines: [line.replace('"source"', '"sauce"') for line in lines], True,
         r"\.sauce is not a column here"),
    ],
    ids=["bit flip", "truncated", "cut in the middle", "version", "newer schema", "column"],
)  # fmt: skip
def test_a_damaged_or_foreign_file_changes_nothing(backup_file, site, damage, rehash, message):
    _rewrite(backup_file, damage, rehash=rehash)
    User.objects.create_user("newcomer", "new@example.org", "x")
    with pytest.raises(CommandError, match=message) as raised:
        _restore(backup_file, force=True)
    assert "Nothing was changed" in str(raised.value)
    assert User.objects.filter(username="newcomer").exists()
    assert Vote.objects.count() == 1


def test_a_file_that_is_not_a_backup_is_refused(tmp_path, transactional_db):
    stray = tmp_path / "notes.jsonl.gz"
    stray.write_bytes(b"plain text, not gzip")
    with pytest.raises(CommandError, match="cannot be restored"):
        _restore(stray)


def test_new_rows_after_a_restore_get_fresh_ids(backup_file, site, stranger):
    Summary.objects.all().delete()
    _restore(backup_file, force=True)
    restored = Summary.objects.get()
    other = Paper.objects.create(bibtex_key="test/new", title="New", year=2021)
    fresh = Summary.objects.create(paper=other, author=restored.author, source="Fresh.")
    vote = Vote.objects.create(summary=fresh, user=User.objects.get(username="mallory"), value=1)
    assert fresh.pk > restored.pk
    assert vote.pk > Vote.objects.exclude(pk=vote.pk).get().pk
    assert User.objects.create_user("later", "later@example.org", "x").pk > stranger.pk


def test_uploaded_files_come_back(site, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    avatar = Path(settings.MEDIA_ROOT) / "avatars" / "alice.png"
    avatar.parent.mkdir(parents=True)
    content = bytes(range(256)) * 2000  # more than one chunk
    avatar.write_bytes(content)
    path = tmp_path / "with-media.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    avatar.unlink()

    out, _ = _restore(path, force=True)
    assert avatar.read_bytes() == content
    assert _row(out, "uploaded files") == [1, 1]


def test_a_file_name_outside_the_media_directory_is_refused(site, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "figure.png").write_bytes(b"png")
    path = tmp_path / "evil.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    _rewrite(
        path, lambda lines: [line.replace("figure.png", "../../escaped.png") for line in lines]
    )
    with pytest.raises(CommandError, match="unsafe file name"):
        _restore(path, force=True)
    assert not (tmp_path / "escaped.png").exists()


def test_backup_keeps_the_newest_n(site, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    for day in range(1, 6):
        (folder / f"shortscience-202601{day:02}T030000Z.jsonl.gz").write_bytes(b"old")
    (folder / "shortscience-20260101T030000Z.jsonl.gz.partial").write_bytes(b"")
    (folder / "notes.txt").write_text("mine")
    call_command("backup", dir=str(folder), keep=3, verbosity=0)
    names = sorted(p.name for p in folder.iterdir())
    assert names[:2] == ["notes.txt", "shortscience-20260104T030000Z.jsonl.gz"]
    assert names[2] == "shortscience-20260105T030000Z.jsonl.gz"
    assert len(names) == 4 and names[3].startswith("shortscience-2026") and names[3] > names[2]
    assert backups.check_file(folder / names[3]).tables["summaries.summary"] == 1


def test_a_backup_inside_a_transaction_is_refused(db, tmp_path):
    with pytest.raises(backups.BackupError, match="outside any transaction"):
        backups.write_backup(tmp_path / "x.jsonl.gz")
    assert not (tmp_path / "x.jsonl.gz").exists()


def test_text_that_looks_like_a_null_marker_survives(site, tmp_path):
    site.moderation_reason = "\\N"
    site.save()
    Comment.objects.update(source='tab\there, quote " and a\nnewline, \\ too')
    path = tmp_path / "odd.jsonl.gz"
    call_command("backup", str(path), verbosity=0)
    _restore(path, force=True)
    assert Summary.objects.get().moderation_reason == "\\N"
    assert Comment.objects.get().source == 'tab\there, quote " and a\nnewline, \\ too'
    assert connection.vendor in VENDORS


@pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump backs up PostgreSQL only")
@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda dump: dump.write_bytes(dump.read_bytes()[:-100]), "checksum mismatch"),
        (lambda dump: Path(f"{dump}.manifest.json").unlink(), "an interrupted backup"),
    ],
    ids=["truncated dump", "no manifest"],
)
def test_a_damaged_pg_dump_changes_nothing(damage, message, new_database, tmp_path):
    source = new_database("postgresql")
    assert _manage("migrate", "--noinput", env=source).returncode == 0
    _shell("from tests.backup_activity import seed; seed(2)", source)
    dump = tmp_path / "site.pgdump"
    assert _manage("backup", "--pg-dump", str(dump), env=source).returncode == 0
    damage(dump)
    _shell("from tests.backup_activity import add_one; add_one('after')", source)
    refused = _manage("restore", "--force", str(dump), env=source)
    assert refused.returncode != 0 and message in refused.stderr
    assert "Nothing was changed" in refused.stderr
    assert _counts(source)["summaries"] == 3


def test_pg_dump_needs_postgresql(site, tmp_path):
    if ON_POSTGRES:
        pytest.skip("on PostgreSQL it works")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("backup", "--pg-dump", str(tmp_path / "x.pgdump"), verbosity=0)


@pytest.mark.skipif(not ON_POSTGRES, reason="pg_dump backs up PostgreSQL only")
def test_pg_dump_keeps_uploaded_files_beside_it(site, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    figure = Path(settings.MEDIA_ROOT) / "figures" / "plot.png"
    figure.parent.mkdir(parents=True)
    figure.write_bytes(b"\x89PNG" + bytes(1000))
    dump = tmp_path / "site.pgdump"
    call_command("backup", "--pg-dump", str(dump), verbosity=0)
    assert Path(f"{dump}.media.jsonl.gz").exists()
    figure.unlink()
    User.objects.create_user("newcomer", "new@example.org", "x")

    out, _ = _restore(dump, force=True)
    assert figure.read_bytes() == b"\x89PNG" + bytes(1000)
    assert _row(out, "uploaded files") == [1, 1]
    assert _row(out, "summaries.vote") == [1, 1]
    assert not User.objects.filter(username="newcomer").exists()
