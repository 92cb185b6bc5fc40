"""Background tasks of the summaries app (run by `python manage.py run_worker`)."""

from django_tasks import task

from accounts.task_recovery import recoverable

from . import notices


@recoverable
@task()
def announce_summary(summary_id):
    """Notices (and e-mails) for a summary that just became public."""
    return notices.announce_summary(summary_id)


@recoverable
@task()
def announce_comment(comment_id, already_emailed):
    """Notices for the followers of a paper that got a new comment."""
    return notices.announce_comment(comment_id, already_emailed=already_emailed)
