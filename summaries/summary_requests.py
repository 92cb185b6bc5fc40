""" "Please summarize this paper": one request per reader and paper, withdrawable.

Who asked is private; pages show only how many did. The requesters hear of the paper's first
public summary through the notices (summaries.notices.announce_summary)."""

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from papers.models import Paper

from .models import SummaryRequest


class CannotRequest(ValueError):
    pass


@transaction.atomic
def request_summary(*, user, paper):
    if paper.public_summary_count:
        raise CannotRequest("This paper already has a summary; follow it to hear of more.")
    try:
        with transaction.atomic():
            return SummaryRequest.objects.create(user=user, paper=paper)
    except IntegrityError:  # asked already (another tab)
        return SummaryRequest.objects.get(user=user, paper=paper)


@transaction.atomic
def withdraw_request(*, user, paper):
    return SummaryRequest.objects.filter(user=user, paper=paper).delete()[0] > 0


def most_requested(*, venue=None, keyword=None):
    """Papers without a public summary, most wanted first, each with `request_count`."""
    papers = Paper.objects.filter(public_summary_count=0)
    if venue:
        papers = papers.filter(venue__key=venue)
    if keyword:
        papers = papers.filter(keywords__name=keyword)
    return (
        papers.annotate(request_count=Count("summary_requests", distinct=True))
        .filter(request_count__gt=0)
        .select_related("venue")
        .order_by("-request_count", "-pk")
    )


def request_state(paper, user):
    """(how many readers asked, whether `user` did), in one query."""
    mine = Q(summary_requests__user_id=user.pk) if user.is_authenticated else Q(pk__in=[])
    row = Paper.objects.filter(pk=paper.pk).aggregate(
        count=Count("summary_requests"), mine=Count("summary_requests", filter=mine)
    )
    return row["count"], bool(row["mine"])
