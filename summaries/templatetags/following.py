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
