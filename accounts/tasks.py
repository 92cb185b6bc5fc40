"""Background tasks (django-tasks; the database backend in production, see TASKS in settings)."""

from django_tasks import task

from . import outbox
from .task_recovery import recoverable


@recoverable
@task()
def send_queued_mail(message_ids):
    """Send the queued e-mails with these ids; returns how many went out."""
    return outbox.deliver(message_ids)
