"""The background worker: django-tasks-db's db_worker, plus the mail sweep every minute.

The sweep (accounts.outbox.sweep) puts back e-mails that a killed worker was sending once their
lease runs out, and re-queues overdue ones whose task was lost; then tasks a dead worker left
RUNNING are enqueued again (accounts.task_recovery). It runs in a thread beside the worker
loop, first at start-up, so a restarted worker finishes what a dead one left."""

import logging
import os
import threading

from django.db import close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from accounts import outbox, task_recovery

logger = logging.getLogger("accounts.worker")


def _sweep_forever(stop, every):
    while True:
        try:
            close_old_connections()
            outbox.sweep()
            task_recovery.requeue_abandoned_tasks()
        except Exception:
            logger.exception("The mail sweep failed; trying again in %s s", every)
        finally:
            close_old_connections()
        if stop.wait(every):
            return


class Command(DbWorkerCommand):
    help = "Run the background worker (tasks, mail and notices), with the mail sweep."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--sweep-every",
            type=float,
            default=60.0,
            help="Seconds between mail sweeps (default: %(default)s)",
        )

    def handle(self, *args, sweep_every, **options):
        supervising = options["reload"] and not options["batch"]
        if not supervising or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            if options["batch"]:
                outbox.sweep()
                task_recovery.requeue_abandoned_tasks()
            else:
                stop = threading.Event()
                threading.Thread(
                    target=_sweep_forever, args=(stop, sweep_every), daemon=True, name="sweep"
                ).start()
        return super().handle(*args, **options)
