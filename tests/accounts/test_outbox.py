"""Mail that is never lost: the durable queue, a real SMTP server and a real worker."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from accounts import outbox
from accounts.models import OutgoingMessage
from tests.accounts.smtp_server import SMTPServer, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp_settings(settings, monkeypatch):
    """The production set-up: the database task backend and an SMTP backend.

    The worker runs in this process, inside the test's transaction, which its habit of
    closing stale connections would end on PostgreSQL; the subprocess test below runs it
    as it is."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = 5
    settings.MAIL_RETRY_SECONDS = 60
    return settings


def run_worker_until_idle():
    """The worker's own loop, in this process, until no task is ready."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def a_minute_passes():
    """What the clock would do: deferred retries become due."""
    earlier = timezone.now() - timedelta(seconds=1)
    OutgoingMessage.objects.filter(status="queued").update(next_attempt_at=earlier)
    DBTaskResult.objects.filter(status="READY").update(run_after=earlier)


def queue_one(to="reader@example.org"):
    return outbox.queue_mail(
        to=to, subject="Hello", body="The body.", kind="test", headers={"X-Test": "1"}
    )


def test_mail_waits_in_the_queue_until_the_server_accepts_it_and_arrives_once(smtp_settings, db):
    smtp_settings.EMAIL_PORT = free_port()  # nothing listens there yet: the server is down
    message = queue_one()
    run_worker_until_idle()
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 1
    assert "Connection refused" in message.last_error or "Errno" in message.last_error
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=50)

    with SMTPServer() as server:
        smtp_settings.EMAIL_PORT = server.port
        server.handler.refuse_next = 1  # up, but refusing for now (451)
        a_minute_passes()
        run_worker_until_idle()
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("queued", 2)
        assert "451" in message.last_error
        assert server.received == []
        # The second retry waits twice as long.
        assert message.next_attempt_at > timezone.now() + timedelta(seconds=110)

        a_minute_passes()
        run_worker_until_idle()
        a_minute_passes()
        run_worker_until_idle()  # nothing is sent twice

    assert len(server.received) == 1
    received = server.received[0]
    assert received["To"] == "reader@example.org" and received["Subject"] == "Hello"
    assert received["Message-ID"] == message.message_id and received["X-Test"] == "1"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 3) and message.sent_at


def test_a_message_that_keeps_failing_is_kept_and_retried_from_the_admin(
    smtp_settings, db, client, superuser
):
    smtp_settings.MAIL_MAX_ATTEMPTS = 2
    with SMTPServer() as server:
        smtp_settings.EMAIL_PORT = server.port
        server.handler.refuse_next = 2
        message = queue_one()
        run_worker_until_idle()
        a_minute_passes()
        run_worker_until_idle()
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("failed", 2)

        client.force_login(superuser)
        page = client.get("/admin/accounts/outgoingmessage/?status=failed")
        assert page.status_code == 200
        assert "reader@example.org" in page.content.decode()
        response = client.post(
            "/admin/accounts/outgoingmessage/",
            {"action": "retry_now", "_selected_action": [message.pk]},
            follow=True,
        )
        assert "1 e-mail(s) queued again." in response.content.decode()
        run_worker_until_idle()
    message.refresh_from_db()
    assert message.status == "sent" and len(server.received) == 1


def test_a_permanent_refusal_is_not_retried(smtp_settings, db):
    with SMTPServer() as server:
        smtp_settings.EMAIL_PORT = server.port

        async def refuse(server_, session, envelope, address, options):
            return "550 5.1.1 No such mailbox"

        server.handler.handle_RCPT = refuse
        message = queue_one()
        run_worker_until_idle()
    message.refresh_from_db()
    assert message.status == "failed" and "550" in message.last_error
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_moderators_cannot_read_or_retry_mail(client, moderator, db):
    message = queue_one()
    client.force_login(moderator)
    assert client.get("/admin/accounts/outgoingmessage/").status_code == 403
    assert client.get(f"/admin/accounts/outgoingmessage/{message.pk}/change/").status_code == 403


def test_the_admin_never_shows_a_password_reset_link(client, superuser, author, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post("/accounts/password/reset/", {"email": author.email})
    message = OutgoingMessage.objects.get(kind="password-reset")
    assert message.recipient == author and message.status == "sent"
    client.force_login(superuser)
    page = client.get(f"/admin/accounts/outgoingmessage/{message.pk}/change/")
    link = re.search(r"/accounts/password/reset/\S+/", message.body).group(0)
    assert page.status_code == 200 and "not shown" in page.content.decode()
    assert link not in page.content.decode()


def _manage(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def _status(database):
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT status, attempts FROM accounts_outgoingmessage"
        ).fetchall()


def test_a_worker_killed_in_the_middle_of_sending_is_restarted_and_the_mail_arrives_once(
    tmp_path,
):
    database = tmp_path / "worker.sqlite3"
    with SMTPServer() as server:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL"}
        } | {
            "DJANGO_DEBUG": "1",
            "SQLITE_PATH": str(database),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(server.port),
            "EMAIL_TIMEOUT": "20",
            "MAIL_SEND_LEASE_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
        }
        _manage(env, "migrate", "-v0")
        _manage(
            env,
            "shell",
            "-c",
            "from accounts import outbox; outbox.queue_mail(to='reader@example.org', "
            "subject='Survives a crash', body='Hello.', kind='test')",
        )
        worker_args = [
            sys.executable,
            "manage.py",
            "run_worker",
            "--no-reload",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--sweep-every",
            "0.5",
        ]
        server.handler.hold_next = True
        worker = subprocess.Popen(worker_args, cwd=ROOT, env=env)
        try:
            assert server.handler.holding.wait(60), "the worker never started sending"
            assert _status(database) == [("sending", 0)]
            worker.send_signal(signal.SIGKILL)  # no chance to clean up
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        server.handler.release.set()  # the server drops the half-received message
        assert server.received == []

        restarted = subprocess.Popen(worker_args, cwd=ROOT, env=env)
        try:
            assert server.handler.wait_for(1, timeout=60), "the restarted worker sent nothing"
            assert not server.handler.wait_for(2, timeout=2)  # and nothing twice
        finally:
            restarted.send_signal(signal.SIGTERM)
            try:
                restarted.wait(15)
            except subprocess.TimeoutExpired:
                restarted.kill()
    assert len(server.received) == 1
    assert server.received[0]["Subject"] == "Survives a crash"
    assert _status(database) == [("sent", 1)]


def test_deleting_an_account_deletes_its_mail_follows_and_reading_list(client, author, db):
    from summaries.models import Follow, SavedPaper
    from tests.conftest import make_paper

    paper = make_paper()
    outbox.queue_mail(to=author.email, subject="Hi", body="x", kind="test", recipient=author)
    Follow.objects.create(user=author, kind="paper", paper=paper, target=f"paper:{paper.pk}")
    SavedPaper.objects.create(user=author, paper=paper)
    client.force_login(author)
    response = client.post("/accounts/delete/", {"password": "correct horse battery"})
    assert response.status_code == 302
    assert not OutgoingMessage.objects.filter(to=author.email).exists()
    assert not Follow.objects.exists() and not SavedPaper.objects.exists()


def test_comment_emails_stop_with_a_one_click_post(client, author, db):
    from accounts.tokens import unsubscribe_token

    client.handler.enforce_csrf_checks = True
    response = client.post(f"/accounts/unsubscribe/{unsubscribe_token(author)}/")
    assert response.status_code == 200
    author.refresh_from_db()
    assert author.email_on_comments is False


def test_a_fan_out_abandoned_by_a_dead_worker_is_run_again(smtp_settings, db, author, stranger):
    from accounts.task_recovery import requeue_abandoned_tasks
    from summaries.models import Follow, Notice
    from summaries.writing import save_summary
    from tests.conftest import make_paper

    paper = make_paper()
    Follow.objects.create(user=stranger, kind="paper", paper=paper, target=f"paper:{paper.pk}")
    save_summary(
        paper=paper,
        author=author,
        source="Text.",
        is_private=False,
        is_anonymous=False,
        base_revision_id=None,
    )
    # A worker took the fan-out task and died before doing it.
    task = DBTaskResult.objects.get(task_path="summaries.tasks.announce_summary")
    task.claim("dead-worker")
    assert requeue_abandoned_tasks() == 0  # not stale yet: it may still be running
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=timezone.now() - timedelta(hours=1))
    assert requeue_abandoned_tasks() == 1
    task.refresh_from_db()
    assert task.status == "FAILED"
    smtp_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_worker_until_idle()
    assert Notice.objects.get(user=stranger).paper == paper
    assert requeue_abandoned_tasks() == 0
