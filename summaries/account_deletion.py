"""Deleting an account: public summaries may stay as "Anonymous"; nothing else of the person
remains."""

from django.db import transaction

from accounts.models import RetiredUsername
from papers.models import Paper

from .invalidation import summaries_changed
from .models import Comment, Summary, Vote, refresh_public_counts
from .moderation import refresh_comment_count
from .voting import recompute_reputation, recount_scores


@transaction.atomic
def delete_account(*, user, delete_public_summaries):
    own = Summary.objects.filter(author=user)
    kept_ids = [] if delete_public_summaries else list(own.public().values_list("pk", flat=True))
    paper_ids = set(own.values_list("paper_id", flat=True))

    # Kept summaries lose their writer (the page then says "Anonymous") and any share link.
    Summary.objects.filter(pk__in=kept_ids).update(author=None, is_anonymous=True, share_token=None)
    own.exclude(pk__in=kept_ids).delete()

    # Their comments go; the summaries they were on are recounted.
    commented_ids = set(Comment.objects.filter(author=user).values_list("summary_id", flat=True))
    Comment.objects.filter(author=user).delete()
    for summary_id in commented_ids:
        refresh_comment_count(summary_id)

    # Their votes go with the account; the scores they touched are recounted from what is left.
    voted = list(
        Vote.objects.filter(user=user).values_list(
            "summary_id", "summary__author_id", "summary__is_anonymous"
        )
    )
    user_pk = user.pk
    RetiredUsername.objects.get_or_create(username_lower=user.username.lower())
    user.delete()
    recount_scores(summary_ids=[summary_id for summary_id, _, _ in voted])
    # Writers of anonymous summaries keep their numbers: a change would name them.
    recompute_reputation(
        user_ids=list({author for _, author, anonymous in voted if author and not anonymous})
    )
    for paper_id in Paper.objects.filter(pk__in=paper_ids).values_list("pk", flat=True):
        refresh_public_counts(paper_id=paper_id, author_id=None)
    summaries_changed(summary_ids=kept_ids, paper_ids=paper_ids, author_ids=[user_pk])
