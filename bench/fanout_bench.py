"""How long does the worker take to tell 10,000 followers of a paper's new summary?

Run from the project root: ``python bench/fanout_bench.py [followers]``. Uses its own
PostgreSQL database (``$BENCH_DATABASE_URL``, by default
postgres://postgres@127.0.0.1:5432/ss_mail), migrating it and emptying what it made before.
Every follower has a confirmed address and wants e-mail at once (the worst case: one notice
and one e-mail each). It times, separately:

1. saving the summary (what the writer's request pays: the task is only enqueued);
2. the worker running the fan-out task: the notices inserted and every e-mail queued in the
   durable outbox, in batches of 1,000 followers (the issue's target: <= 10 s);
3. the worker sending those e-mails to a real SMTP server on loopback (aiosmtpd, port
   9890), 100 per connection, until none is left.

Prints wall time and the CPU time of this process and of its PostgreSQL backend (the same
machine): on a busy machine the CPU times say what the work costs with the machine to itself.
"""

import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.pg import backend_cpu_seconds, ensure_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ss_mail"
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-throwaway-key")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shortscience.settings")
os.environ["LOG_LEVEL"] = "WARNING"
SMTP_PORT = 9890


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


database_cpu = backend_cpu_seconds


class Timer:
    def __init__(self, label):
        self.label = label

    def __enter__(self):
        self.wall, self.cpu, self.db = time.perf_counter(), cpu(), database_cpu()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.wall
        db = database_cpu() - self.db
        # The worker may reconnect between tasks: then the backend's count is not ours.
        db = f"{db:.2f} s" if db >= 0 else "n/a"
        print(
            f"{self.label}: {self.seconds:.2f} s wall, {cpu() - self.cpu:.2f} s CPU here, "
            f"{db} CPU in PostgreSQL",
            flush=True,
        )


def worker(max_tasks=None):
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id="bench",
        excluded_queue_names=[],
    )


def main(followers):
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth.hashers import make_password
    from django_tasks_db.models import DBTaskResult

    from accounts.models import OutgoingMessage, User
    from papers.models import Paper
    from summaries.models import Follow, Notice, Summary
    from summaries.writing import save_summary

    print(f"{followers:,} followers, PostgreSQL {settings.DATABASES['default']['NAME']}")
    # Start from nothing this benchmark made before.
    Notice.objects.all().delete()
    OutgoingMessage.objects.all().delete()
    DBTaskResult.objects.all().delete()
    Summary.objects.filter(paper__bibtex_key="bench/fanout").delete()
    Paper.objects.filter(bibtex_key="bench/fanout").delete()
    User.objects.filter(username__startswith="fan-").delete()
    User.objects.filter(username="fanout-writer").delete()

    password = make_password(None)
    User.objects.bulk_create(
        [
            User(
                username=f"fan-{n}",
                email=f"fan-{n}@example.org",
                password=password,
                email_confirmed=True,
            )
            for n in range(followers)
        ],
        batch_size=2000,
    )
    writer = User.objects.create_user("fanout-writer", "writer@example.org", None)
    paper = Paper.objects.create(bibtex_key="bench/fanout", title="A very popular paper")
    target = f"paper:{paper.pk}"
    Follow.objects.bulk_create(
        [
            Follow(user_id=pk, kind="paper", paper=paper, target=target)
            for pk in User.objects.filter(username__startswith="fan-").values_list("pk", flat=True)
        ],
        batch_size=2000,
    )

    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    with Timer("1. save the summary (the request's part)"):
        save_summary(
            paper=paper,
            author=writer,
            source="Why everyone follows this paper.",
            is_private=False,
            is_anonymous=False,
            base_revision_id=None,
        )
    with Timer("2. worker: fan-out task (notices + e-mails queued)") as fan_out:
        worker(max_tasks=1).run()
    notices = Notice.objects.filter(paper=paper).count()
    queued = OutgoingMessage.objects.filter(status="queued").count()
    tasks = DBTaskResult.objects.filter(status="READY").count()
    print(f"   {notices:,} notices, {queued:,} e-mails queued in {tasks} send tasks")

    from aiosmtpd.controller import Controller

    class Count:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            self.received += 1
            return "250 OK"

    handler = Count()
    controller = Controller(handler, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", SMTP_PORT
    try:
        with Timer("3. worker: send every e-mail over SMTP") as send:
            worker().run()
    finally:
        controller.stop()
    sent = OutgoingMessage.objects.filter(status="sent").count()
    print(f"   {handler.received:,} received by the SMTP server, {sent:,} marked sent")
    print(
        f"fan-out: {notices / fan_out.seconds:,.0f} notices/s; "
        f"delivery: {sent / send.seconds:,.0f} e-mails/s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
