"""Readers flag summaries and comments for the moderators (the admin's open-reports queue)."""

from django.db import transaction

from .models import Report


@transaction.atomic
def file_report(*, reporter, reason, text="", summary=None, comment=None):
    """Record a report; a second report by the same person on the same item while the first
    is still open updates it instead of piling up. Returns (report, created)."""
    target = {"summary": summary} if summary is not None else {"comment": comment}
    open_report = Report.objects.filter(
        reporter=reporter, resolved_at__isnull=True, **target
    ).first()
    if open_report:
        open_report.reason, open_report.text = reason, text
        open_report.save(update_fields=["reason", "text"])
        return open_report, False
    return Report.objects.create(reporter=reporter, reason=reason, text=text, **target), True
