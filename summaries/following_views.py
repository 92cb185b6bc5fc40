"""Pages for following, the inbox and notice settings; summary requests; the reading list.

Everything here is private to the signed-in reader, except the "Most requested" list, which
shows counts only, never who asked."""

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from papers.bibtex_export import bibtex_for_papers
from papers.forms import AddPapersForm
from papers.models import Keyword, Paper, Venue
from shortscience import ratelimit

from . import following, notices, reading_list, summary_requests
from .models import Follow, FollowKind, NoticeSettings, SavedPaper
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


# Summary requests -----------------------------------------------------------------------------


@require_POST
@login_required
def request_summary(request, key):
    paper = get_object_or_404(Paper, bibtex_key=key)
    if request.POST.get("action") == "withdraw":
        summary_requests.withdraw_request(user=request.user, paper=paper)
        messages.success(request, "Your request is withdrawn.")
    elif not _rate_limited(request, "request"):
        try:
            summary_requests.request_summary(user=request.user, paper=paper)
        except summary_requests.CannotRequest as problem:
            messages.error(request, str(problem))
        else:
            messages.success(request, "Asked. We will tell you when its first summary appears.")
    return _back(request, paper.get_absolute_url())


@require_GET
def most_requested(request):
    venue = request.GET.get("venue", "").strip()[:255]
    keyword = request.GET.get("keyword", "").strip()[:100]
    page = paginate(request, summary_requests.most_requested(venue=venue, keyword=keyword))
    filters = [("venue", venue), ("keyword", keyword)]
    query = "&".join(f"{name}={quote(value)}" for name, value in filters if value)
    return render(
        request,
        "summaries/most_requested.html",
        {
            "page": page,
            "venue": venue,
            "keyword": keyword,
            "venues": Venue.objects.order_by("key").only("key", "name", "short_name"),
            "query_string": query,
        },
    )


# The reading list -----------------------------------------------------------------------------


@require_POST
@login_required
def save_for_later(request, key):
    paper = get_object_or_404(Paper, bibtex_key=key)
    if request.POST.get("action") == "remove":
        reading_list.unsave_paper(user=request.user, paper=paper)
        messages.success(request, "Removed from your reading list.")
    elif not _rate_limited(request, "save"):
        try:
            reading_list.save_paper(
                user=request.user, paper=paper, note=request.POST.get("note", "")[:1000]
            )
        except reading_list.ReadingListFull as problem:
            messages.error(request, str(problem))
        else:
            messages.success(request, "Saved to your reading list (only you see it).")
    return _back(request, paper.get_absolute_url())


class SavedPaperForm(forms.Form):
    note = forms.CharField(max_length=1000, required=False, widget=forms.Textarea({"rows": 2}))
    is_read = forms.BooleanField(label="Read", required=False)


@login_required
def reading_list_page(request):
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    sort = request.GET.get("sort", "added")
    if sort not in reading_list.SORTS:
        sort = "added"
    page = paginate(request, reading_list.saved_list(request.user, sort), per_page=50)
    return render(
        request,
        "summaries/reading_list.html",
        {
            "page": page,
            "sort": sort,
            "sorts": list(reading_list.SORTS),
            "query_string": f"sort={sort}",
            "import_form": AddPapersForm(),
        },
    )


@require_POST
@login_required
def update_saved(request, pk):
    saved = get_object_or_404(SavedPaper, pk=pk, user=request.user)
    if _rate_limited(request, "save"):
        return _back(request, "following:reading_list")
    form = SavedPaperForm(request.POST)
    if form.is_valid():
        reading_list.update_saved(saved=saved, **form.cleaned_data)
        messages.success(request, f"Saved your changes to “{saved.paper.title[:80]}”.")
    else:
        messages.error(request, "A note is at most 1,000 characters; nothing was changed.")
    return _back(request, "following:reading_list")


@require_GET
@login_required
def reading_list_bibtex(request):
    papers = [saved.paper for saved in reading_list.saved_list(request.user)[:5000]]
    response = HttpResponse(bibtex_for_papers(papers), content_type="text/x-bibtex; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="shortscience-{request.user.username}-reading-list.bib"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def reading_list_import(request):
    form = AddPapersForm(request.POST, request.FILES)
    context = {"import_form": form, "sort": "added", "sorts": list(reading_list.SORTS)}
    if _rate_limited(request, "save"):
        return redirect("following:reading_list")
    if not form.is_valid():
        status = 413 if form.too_large else 400
        context["page"] = paginate(request, reading_list.saved_list(request.user), per_page=50)
        return render(request, "summaries/reading_list.html", context, status=status)
    try:
        result = reading_list.import_bibtex(user=request.user, text=form.cleaned_data["text"])
    except reading_list.ImportProblem as problem:
        context["page"] = paginate(request, reading_list.saved_list(request.user), per_page=50)
        context["import_problem"] = str(problem)
        context["plan_errors"] = problem.plan.errors[:50] if problem.plan else []
        return render(request, "summaries/reading_list.html", context, status=400)
    messages.success(
        request,
        f"Saved {result['saved']} paper(s) to your reading list"
        + (f"; {result['already']} were on it already." if result["already"] else "."),
    )
    return redirect("following:reading_list")
