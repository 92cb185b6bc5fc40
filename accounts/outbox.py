"""The durable mail queue: every e-mail the site sends is a row first, then a task.

`queue_mail()` writes an OutgoingMessage in the caller's transaction and enqueues a
django-tasks task with its id (the database backend keeps the task in the same transaction,
so a rolled-back write sends nothing and a committed one loses nothing). The worker's task
calls `deliver()`, which claims the messages with a conditional UPDATE (so a duplicate task is
harmless), sends them over one SMTP connection and records the outcome: sent, queued again
with an exponential back-off, or failed for good after MAIL_MAX_ATTEMPTS (kept for the admin's
retry action). `sweep()` puts back what a killed worker was holding once its lease runs out.
"""

import logging
import smtplib
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.db import transaction
from django.utils import timezone

from .models import OutgoingMessage

logger = logging.getLogger(__name__)

Status = OutgoingMessage.Status

# Messages a task sends over one SMTP connection.
BATCH_SIZE = 100


def _new_message(*, to, subject, body, kind, html_body="", headers=None, recipient=None):
    return OutgoingMessage(
        kind=kind,
        recipient=recipient,
        to=to,
        subject=subject[:300],
        body=body,
        html_body=html_body,
        headers=dict(headers or {}),
        message_id=make_msgid(domain=_message_id_domain()),
    )


def _message_id_domain():
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host or "shortscience.local"


@transaction.atomic
def queue_mail(*, to, subject, body, kind, html_body="", headers=None, recipient=None):
    """Queue one e-mail; it is sent by the worker once the caller's transaction commits."""
    message = _new_message(
        to=to,
        subject=subject,
        body=body,
        kind=kind,
        html_body=html_body,
        headers=headers,
        recipient=recipient,
    )
    message.save()
    _enqueue([message.pk])
    return message


@transaction.atomic
def queue_many(messages):
    """Queue prepared messages (from `prepare()`) in bulk, one task per BATCH_SIZE of them."""
    created = OutgoingMessage.objects.bulk_create(messages, batch_size=1000)
    ids = [message.pk for message in created]
    for start in range(0, len(ids), BATCH_SIZE):
        _enqueue(ids[start : start + BATCH_SIZE])
    return created


def prepare(*, to, subject, body, kind, html_body="", headers=None, recipient=None):
    """An unsaved message for `queue_many()`."""
    return _new_message(
        to=to,
        subject=subject,
        body=body,
        kind=kind,
        html_body=html_body,
        headers=headers,
        recipient=recipient,
    )


def _enqueue(message_ids, *, run_after=None):
    from .tasks import send_queued_mail

    task = send_queued_mail
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # the sweep sends it when it is due
        task = task.using(run_after=run_after)
    task.enqueue(list(message_ids))


def retry_delay(attempts):
    """1, 2, 4, 8 … minutes (MAIL_RETRY_SECONDS doubled per failure), at most six hours."""
    return timedelta(seconds=min(settings.MAIL_RETRY_SECONDS * 2 ** (attempts - 1), 6 * 3600))


def _is_permanent(error):
    """A 5xx answer for every recipient will not change by waiting."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPServerDisconnected)
    return False


def claim(message_ids):
    """Mark the due, queued ones among `message_ids` as being sent by us; returns them."""
    token = uuid.uuid4().hex
    now = timezone.now()
    OutgoingMessage.objects.filter(
        pk__in=message_ids, status=Status.QUEUED, next_attempt_at__lte=now
    ).update(
        status=Status.SENDING,
        claim=token,
        locked_until=now + timedelta(seconds=settings.MAIL_SEND_LEASE_SECONDS),
    )
    return list(OutgoingMessage.objects.filter(claim=token, status=Status.SENDING).order_by("pk"))


def _as_email(message):
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=None,
        to=[message.to],
        headers={**message.headers, "Message-ID": message.message_id},
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    return email


def deliver(message_ids):
    """Send what can be claimed among `message_ids`; returns how many went out."""
    messages = claim(message_ids)
    if not messages:
        return 0
    sent = 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as error:
        for message in messages:
            _record_failure(message, error)
        return 0
    lease = timedelta(seconds=settings.MAIL_SEND_LEASE_SECONDS)
    locked_until = timezone.now() + lease
    try:
        for position, message in enumerate(messages):
            if timezone.now() > locked_until - lease / 2:
                locked_until = _extend_lease(messages[position:], lease)
            try:
                connection.send_messages([_as_email(message)])
            except Exception as error:
                _record_failure(message, error)
                # The session may be half-way through a command: start a clean one.
                connection.close()
                connection.open()
            else:
                _record_success(message)
                sent += 1
    except Exception as error:  # the connection could not be reopened: the rest waits
        for message in messages:
            if message.status == Status.SENDING:
                _record_failure(message, error)
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("Could not close the SMTP connection cleanly", exc_info=True)
    return sent


def _extend_lease(messages, lease):
    locked_until = timezone.now() + lease
    OutgoingMessage.objects.filter(
        pk__in=[message.pk for message in messages], claim=messages[0].claim
    ).update(locked_until=locked_until)
    return locked_until


def _record_success(message):
    message.status = Status.SENT
    message.sent_at = timezone.now()
    message.attempts += 1
    message.locked_until = None
    OutgoingMessage.objects.filter(pk=message.pk, claim=message.claim).update(
        status=Status.SENT, sent_at=message.sent_at, attempts=message.attempts, locked_until=None
    )


def _record_failure(message, error):
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    message.locked_until = None
    if _is_permanent(error) or message.attempts >= settings.MAIL_MAX_ATTEMPTS:
        message.status = Status.FAILED
        logger.error("Gave up on e-mail %s after %s attempts", message.pk, message.attempts)
    else:
        message.status = Status.QUEUED
        message.next_attempt_at = timezone.now() + retry_delay(message.attempts)
        logger.warning(
            "E-mail %s not sent (%s); next attempt at %s",
            message.pk,
            message.last_error,
            message.next_attempt_at,
        )
    with transaction.atomic():
        OutgoingMessage.objects.filter(pk=message.pk, claim=message.claim).update(
            status=message.status,
            attempts=message.attempts,
            last_error=message.last_error,
            next_attempt_at=message.next_attempt_at,
            locked_until=None,
        )
        if message.status == Status.QUEUED:
            _enqueue([message.pk], run_after=message.next_attempt_at)


@transaction.atomic
def retry(messages):
    """Send failed (or waiting) messages again now, with a fresh count of attempts."""
    ids = [message.pk for message in messages if message.status in (Status.FAILED, Status.QUEUED)]
    OutgoingMessage.objects.filter(pk__in=ids).update(
        status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), locked_until=None
    )
    for start in range(0, len(ids), BATCH_SIZE):
        _enqueue(ids[start : start + BATCH_SIZE])
    return len(ids)


@transaction.atomic
def sweep(*, grace=timedelta(minutes=10)):
    """Queue again what a dead worker held (lease run out) and what is overdue with no task.

    Cheap enough to run every minute; a task for a message that is already taken does nothing."""
    now = timezone.now()
    stale = list(
        OutgoingMessage.objects.filter(status=Status.SENDING, locked_until__lt=now).values_list(
            "pk", flat=True
        )
    )
    if stale:
        OutgoingMessage.objects.filter(pk__in=stale, status=Status.SENDING).update(
            status=Status.QUEUED, next_attempt_at=now, locked_until=None
        )
        logger.warning("Queued again %s e-mails left unfinished by a worker", len(stale))
    overdue = []
    if not _tasks_waiting():
        overdue = list(
            OutgoingMessage.objects.filter(
                status=Status.QUEUED, next_attempt_at__lt=now - grace
            ).values_list("pk", flat=True)[:10_000]
        )
    ids = sorted(set(stale) | set(overdue))
    for start in range(0, len(ids), BATCH_SIZE):
        _enqueue(ids[start : start + BATCH_SIZE])
    return len(ids)


def _tasks_waiting():
    """Whether send tasks are ready and waiting (then overdue mail is only a backlog)."""
    from .tasks import send_queued_mail

    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - another backend
        return False
    return DBTaskResult.objects.ready().filter(task_path=send_queued_mail.module_path).exists()
