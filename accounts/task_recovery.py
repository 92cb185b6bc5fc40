"""Tasks a killed worker left half-done are run again, for the tasks that allow it.

django-tasks-db marks a task RUNNING when a worker takes it and has no heartbeat, so a worker
killed mid-task leaves it RUNNING for good. Tasks registered with `recoverable` are safe to
run twice (the mail claim and the notices' (person, event) uniqueness make a second run do
only what the first did not), so the worker's sweep marks such a task failed once it has been
running for TASK_STALE_SECONDS and enqueues it again with the same arguments."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)

_RECOVERABLE = {}


def recoverable(task):
    """Register a task as safe to run again after a crash; returns it (use as a decorator)."""
    _RECOVERABLE[task.module_path] = task
    return task


@transaction.atomic
def requeue_abandoned_tasks(*, now=None):
    from django_tasks_db.models import DBTaskResult

    autodiscover_modules("tasks")  # each app's tasks module registers its recoverable tasks
    now = now or timezone.now()
    stale = (
        DBTaskResult.objects.running()
        .filter(
            task_path__in=list(_RECOVERABLE),
            started_at__lt=now - timedelta(seconds=settings.TASK_STALE_SECONDS),
        )
        .select_for_update(skip_locked=True)
    )
    count = 0
    for result in stale:
        task = _RECOVERABLE[result.task_path]
        DBTaskResult.objects.filter(pk=result.pk).update(
            status="FAILED",
            finished_at=now,
            exception_class_path="accounts.task_recovery.AbandonedTask",
            traceback="The worker running this task stopped; it was enqueued again.",
        )
        task.enqueue(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        count += 1
    if count:
        logger.warning("Enqueued again %s tasks abandoned by a worker", count)
    return count
