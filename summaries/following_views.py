"""Pages for following, the inbox and notice settings; summary requests; the reading list.

Everything here is private to the signed-in reader, except the "Most requested" list, which
shows counts only, never who asked."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from papers.models import Keyword, Paper, Venue
from shortscience import ratelimit

from . import following, notices
from .models import Follow, FollowKind, NoticeSettings
from .pagination import paginate


def _back(request, fallback):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def _rate_limited(request, action):
    if ratelimit.allow(user=request.user, action=action):
        return False
    messages.error(request, ratelimit.limit_for(action).message)
    return True


def _thing_to_follow(kind, value):
    """The object (or search text) a follow form names; 404 when it names nothing."""
    if kind == FollowKind.SEARCH:
        return value
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404("Nothing to follow.") from None
    if kind == FollowKind.PAPER:
        return get_object_or_404(Paper, pk=pk)
    if kind == FollowKind.WRITER:
        return get_object_or_404(User, pk=pk, is_active=True)
    if kind == FollowKind.VENUE:
        return get_object_or_404(Venue, pk=pk)
    if kind == FollowKind.KEYWORD:
        return get_object_or_404(Keyword, pk=pk)
    raise Http404("Unknown kind of follow.")


@require_POST
@login_required
def follow(request):
    kind = request.POST.get("kind", "")
    thing = _thing_to_follow(kind, request.POST.get("value", ""))
    target = following.target_for(kind, thing)
    if request.POST.get("action") == "unfollow":
        following.unfollow(user=request.user, target=target)
        messages.success(request, "You no longer follow it.")
    elif not _rate_limited(request, "follow"):
        try:
            following.follow(user=request.user, kind=kind, thing=thing)
        except following.CannotFollow as problem:
            messages.error(request, str(problem))
        else:
            messages.success(
                request, "Followed. New summaries will reach your inbox (only you see this)."
            )
    return _back(request, "following:list")


class NoticeSettingsForm(forms.Form):
    frequency = forms.ChoiceField(
        label="E-mail me about notices",
        choices=NoticeSettings.Frequency.choices,
        widget=forms.RadioSelect,
    )
    muted = forms.MultipleChoiceField(
        label="Never e-mail me about",
        required=False,
        choices=[
            (reason, label) for reason, label in notices.REASON_LABELS.items() if reason != "digest"
        ],
        widget=forms.CheckboxSelectMultiple,
    )


@login_required
def following_list(request):
    current = NoticeSettings.objects.filter(user=request.user).first() or NoticeSettings()
    if request.method == "POST":
        form = NoticeSettingsForm(request.POST)
        if form.is_valid():
            notices.save_settings(user=request.user, **form.cleaned_data)
            messages.success(request, "Your notice settings are saved.")
            return redirect("following:settings")
    elif request.method == "GET":
        form = NoticeSettingsForm(initial={"frequency": current.frequency, "muted": current.muted})
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    follows = Follow.objects.filter(user=request.user).select_related(
        "paper", "writer", "venue", "keyword"
    )
    page = paginate(request, follows, per_page=50)
    return render(
        request,
        "summaries/following.html",
        {"page": page, "form": form, "email_confirmed": request.user.email_confirmed},
    )


@require_GET
@login_required
def inbox(request):
    page = paginate(request, notices.inbox(request.user), per_page=30)
    shown = list(page.object_list)
    unread = [notice.pk for notice in shown if notice.read_at is None]
    if unread:
        notices.mark_read(user=request.user, notice_ids=unread)
    return render(
        request,
        "summaries/inbox.html",
        {"page": page, "notices": shown, "unread": set(unread)},
    )


@require_POST
@login_required
def mark_all_read(request):
    notices.mark_read(user=request.user)
    return redirect("following:inbox")


@csrf_exempt  # RFC 8058 one-click: mail clients POST without our form; the signed token is
def unsubscribe(request, token):  # what proves the request comes from the e-mail.
    found = notices.read_unsubscribe_token(token)
    if found is None:
        raise Http404("That unsubscribe link is not valid.")
    person, reason = found
    what = notices.REASON_LABELS[reason]
    if request.method == "POST":
        notices.unsubscribe(user=person, reason=reason)
        return render(
            request, "summaries/unsubscribe.html", {"what": what, "done": True, "token": token}
        )
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "summaries/unsubscribe.html", {"what": what, "token": token})
