"""`{% follow_button kind thing %}`: the follow/unfollow button of a page (one query)."""

from django import template

from summaries import following

register = template.Library()

NOUNS = {
    "paper": "this paper",
    "writer": "this writer",
    "venue": "this venue",
    "keyword": "this keyword",
    "search": "this search",
}


@register.inclusion_tag("includes/follow_button.html", takes_context=True)
def follow_button(context, kind, thing):
    request = context["request"]
    target = following.target_for(kind, thing)
    return {
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "kind": kind,
        "value": following.normalize_query(thing) if kind == "search" else thing.pk,
        "noun": NOUNS[kind],
        "followed": target in following.followed_targets(request.user, [target]),
    }


@register.inclusion_tag("includes/paper_actions.html", takes_context=True)
def paper_actions(context, paper):
    """Follow, "please summarize" (with how many asked) and "save for later", in one query."""
    from django.db.models import Count, Exists, OuterRef

    from papers.models import Paper
    from summaries.models import Follow, SavedPaper, SummaryRequest

    request = context["request"]
    user = request.user
    user_id = user.pk if user.is_authenticated else None
    row = (
        Paper.objects.filter(pk=paper.pk)
        .annotate(
            request_count=Count("summary_requests"),
            followed=Exists(
                Follow.objects.filter(user_id=user_id, target=following.target_for("paper", paper))
            ),
            requested=Exists(
                SummaryRequest.objects.filter(user_id=user_id, paper_id=OuterRef("pk"))
            ),
            saved=Exists(SavedPaper.objects.filter(user_id=user_id, paper_id=OuterRef("pk"))),
        )
        .values("request_count", "followed", "requested", "saved")
        .first()
    ) or {}
    return {
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "paper": paper,
        "kind": "paper",
        "value": paper.pk,
        "noun": NOUNS["paper"],
        **row,
    }
