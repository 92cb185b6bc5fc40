"""Votes, scores and the writers' reputation."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from shortscience import pagecache
from shortscience.pagecache import tag

from . import invalidation
from .models import Summary, Vote, hotness

# Only votes that have stood this long count towards reputation (the original "sciscore").
SETTLING_TIME = datetime.timedelta(days=2)


@dataclass(frozen=True)
class VoteResult:
    score: int
    value: int  # the user's vote now: 1, -1 or 0 for none


@transaction.atomic
def cast_vote(*, summary, user, value):
    """Vote up (1), down (-1) or clear (0). The summary row is locked first, so concurrent votes
    on one summary apply one after another and the score always equals the sum of the votes."""
    if value not in (1, -1, 0):
        raise ValueError("A vote is 1, -1 or 0.")
    locked = Summary.objects.select_for_update().get(pk=summary.pk)
    if not locked.can_vote(user):
        raise PermissionDenied("You cannot vote on this summary.")
    previous = Vote.objects.filter(summary=locked, user=user).first()
    old = previous.value if previous else 0
    if value != old:
        if value == 0:
            previous.delete()
        elif previous:
            previous.value = value
            previous.created = timezone.now()
            previous.save(update_fields=["value", "created"])
        else:
            Vote.objects.create(summary=locked, user=user, value=value)
        Summary.objects.filter(pk=locked.pk).update(score=F("score") + (value - old))
        locked.refresh_from_db(fields=["score"])
        Summary.objects.filter(pk=locked.pk).update(hotness=hotness(locked.score, locked.created))
        if not locked.is_anonymous:
            # A vote on an anonymous summary must not move anyone's numbers: that would name
            # its writer (their reputation would change the moment the vote is cast).
            recompute_reputation(user_ids=[locked.author_id])
        invalidation.summaries_changed(summary_ids=[locked.pk])
    return VoteResult(score=locked.score, value=value)


def recount_scores(*, summary_ids):
    """Set scores from the votes themselves (after votes vanish with a deleted account)."""
    for summary in Summary.objects.filter(pk__in=summary_ids).annotate(
        net=Coalesce(Sum("votes__value"), 0)
    ):
        Summary.objects.filter(pk=summary.pk).update(
            score=summary.net, hotness=hotness(summary.net, summary.created)
        )
    invalidation.summaries_changed(summary_ids=summary_ids)


def recompute_reputation(*, user_ids=None):
    """Reputation is the mean net score of a writer's public, signed summaries, counting only
    votes older than SETTLING_TIME. Anonymous summaries do not count: that would expose them."""
    from accounts.models import User

    cutoff = timezone.now() - SETTLING_TIME
    summaries = Summary.objects.public().filter(is_anonymous=False, author__isnull=False)
    users = User.objects.all()
    if user_ids is not None:
        user_ids = [pk for pk in user_ids if pk]
        summaries = summaries.filter(author_id__in=user_ids)
        users = users.filter(pk__in=user_ids)
    nets = defaultdict(list)
    for author_id, net in summaries.annotate(
        net=Coalesce(Sum("votes__value", filter=Q(votes__created__lte=cutoff)), 0)
    ).values_list("author_id", "net"):
        nets[author_id].append(net)
    changed = []
    for user in users.only("pk", "reputation"):
        values = nets.get(user.pk)
        reputation = round(sum(values) / len(values), 4) if values else 0.0
        if user.reputation != reputation:
            user.reputation = reputation
            changed.append(user)
    User.objects.bulk_update(changed, ["reputation"], batch_size=500)
    if changed:  # shown on profiles and the users list
        pagecache.changed(pagecache.SITE_LISTINGS, *(tag("user", user.pk) for user in changed))
    return len(changed)
