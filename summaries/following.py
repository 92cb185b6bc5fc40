"""Following papers, writers, venues, keywords and saved searches. Private to the follower."""

import re

from django.db import transaction

from .models import Follow, FollowKind

QUERY_MAX = 200


def normalize_query(text):
    """A saved search as it is stored and compared: lower case, single spaces."""
    return re.sub(r"\s+", " ", (text or "").strip().lower())[:QUERY_MAX]


def target_for(kind, thing):
    """The indexed key of a follow: "paper:12", "writer:3", "search:graph networks"."""
    if kind == FollowKind.SEARCH:
        return f"search:{normalize_query(thing)}"
    return f"{kind}:{thing.pk}"


class CannotFollow(ValueError):
    pass


@transaction.atomic
def follow(*, user, kind, thing):
    """Follow `thing` (a Paper, User, Venue, Keyword, or the text of a search); idempotent."""
    if kind not in FollowKind.values:
        raise CannotFollow("Unknown kind of follow.")
    fields = {}
    if kind == FollowKind.SEARCH:
        query = normalize_query(thing)
        if len(query) < 2:
            raise CannotFollow("Type a search of at least two characters to follow it.")
        fields["query"] = query
    elif kind == FollowKind.WRITER:
        if thing.pk == user.pk:
            raise CannotFollow("You cannot follow yourself.")
        fields["writer"] = thing
    else:
        fields[kind] = thing
    found, _ = Follow.objects.get_or_create(
        user=user, target=target_for(kind, thing), defaults={"kind": kind, **fields}
    )
    return found


@transaction.atomic
def unfollow(*, user, target):
    return Follow.objects.filter(user=user, target=target).delete()[0] > 0


def followed_targets(user, targets):
    """Which of `targets` `user` follows, in one query."""
    if not user.is_authenticated or not targets:
        return set()
    return set(
        Follow.objects.filter(user=user, target__in=list(targets)).values_list("target", flat=True)
    )
