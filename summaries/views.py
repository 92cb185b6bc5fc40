from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from papers import sections
from papers.models import Paper, Venue
from shortscience import pagecache, ratelimit
from shortscience.heavywork import Busy, heavy_work
from shortscience.links import absolute_url
from summaries.pagination import paginate

from . import moderation
from .cards import summary_cards
from .commenting import delete_comment, post_comment
from .diffing import diff_texts
from .forms import CommentForm, ReportForm, SummaryForm
from .models import Comment, Revision, Summary
from .popular import PopularToday
from .previewing import PreviewRefused, render_preview
from .rendering import RenderRefused
from .reporting import file_report
from .voting import cast_vote
from .writing import (
    EditConflict,
    delete_summary,
    restore_revision,
    save_summary,
    set_share_link,
    undelete_summary,
)

HOME_TABS = {
    "popular": ("Popular today", "Summaries of the papers most read today", "popular_today"),
    "recent": ("Recent", "Newest and recently edited summaries", "recent"),
    "top": ("Top", "Highest-scored summaries of all time", "best_first"),
}
# The original site's names for the tabs.
OLD_TAB_NAMES = {"best": "top", "new": "recent"}


@require_GET
def home(request):
    pagecache.depends_on(request, pagecache.SITE_LISTINGS)
    # The first tab is the default one: "/" shows it, and its link is "/".
    default_tab = next(iter(HOME_TABS))
    tab = request.GET.get("tab", default_tab)
    tab = OLD_TAB_NAMES.get(tab, tab)
    if tab not in HOME_TABS:
        tab = default_tab
    section = sections.named(request.GET.get("s"))
    ordering = HOME_TABS[tab][2]
    public = Summary.objects.public()
    if section:
        public = section.filter(public)
    if ordering == "popular_today":
        summaries = PopularToday(public.with_vote_of(request.user))
    else:
        summaries = getattr(public, ordering)().with_vote_of(request.user)
    page = paginate(request, summaries)
    return render(
        request,
        "summaries/home.html",
        {
            "tab": tab,
            "default_tab": default_tab,
            "tabs": [(key, label, hint) for key, (label, hint, _) in HOME_TABS.items()],
            "section": section.name if section else sections.ALL,
            "sections": sections.NAMES,
            "page": page,
            "cards": summary_cards(request, page.object_list),
            "public_count": page.paginator.count,
            "query_string": f"s={section.name}" if section else "",
        },
    )


@require_GET
def about(request):
    pagecache.depends_on(request, pagecache.SITE_LISTINGS)
    public = Summary.objects.public()
    stats = {
        "summaries": public.count(),
        "papers": Paper.objects.filter(public_summary_count__gt=0).count(),
        "writers": User.objects.filter(public_summary_count__gt=0).count(),
        "venues": Venue.objects.filter(papers__public_summary_count__gt=0).distinct().count(),
        "comments": public.aggregate(n=Count("comments"))["n"],
    }
    return render(request, "about.html", {"stats": stats})


@require_GET
@never_cache
def random_summary(request):
    summary = Summary.objects.public().select_related("paper", "author").pick_random()
    if summary is None:
        raise Http404("There are no public summaries yet.")
    return redirect(summary.get_absolute_url())


# Writing, history, sharing, votes and comments ------------------------------------------------

DRAFTS_SESSION_KEY = "summary_drafts"
MAX_STASHED_DRAFTS = 3
STASHES_PER_ADDRESS = 30
UNCONFIRMED_PUBLISH = (
    "Not saved: publishing needs a confirmed e-mail address. Tick “Private” to keep it for "
    "yourself until then, and open the link we sent you (or ask for a new one in Settings)."
)
UNCONFIRMED_ACTION = (
    "Confirm your e-mail address first: open the link we sent you ({what}); your settings "
    "page sends a new one."
)


def _wants_json(request):
    return request.headers.get("X-Requested-With") == "fetch"


def _safe_next(request, fallback):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _refuse(request, message, status):
    """A refusal as a short text for script calls, or as a message on the page it came from."""
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return redirect(_safe_next(request, "/"))


def _get_summary_for_editing(request, pk):
    """The summary if the signed-in user wrote it (and may still write), else 404/403."""
    summary = get_object_or_404(Summary.objects.select_related("paper", "author"), pk=pk)
    if not summary.can_edit(request.user):
        raise PermissionDenied("Only its writer can change a summary.")
    return summary


def _get_summary_for_history(request, pk):
    """Public history for public summaries; the writer's (and moderators') for the rest."""
    summary = get_object_or_404(Summary.objects.select_related("paper", "author"), pk=pk)
    user = request.user
    is_owner_or_moderator = user.is_authenticated and (
        user.pk == summary.author_id or user.is_moderator
    )
    if not (summary.is_public or is_owner_or_moderator):
        raise Http404("No such summary.")
    return summary


def _get_summary_for_restoring(request, pk):
    summary = get_object_or_404(Summary.objects.select_related("paper"), pk=pk)
    if not (summary.can_edit(request.user) or request.user.is_moderator):
        raise PermissionDenied("Only its writer or a moderator can restore a summary.")
    return summary


def _stash_draft(request, paper, data):
    """Keep what a logged-out writer posted, so logging in again brings it back.

    At most MAX_STASHED_DRAFTS per session (the newest ones) and STASHES_PER_ADDRESS an hour
    from one address, so a logged-out script cannot grow sessions without limit."""
    source = data.get("source", "")
    if len(source.encode("utf-8")) > settings.SUMMARY_MAX_BYTES:
        return
    address = ratelimit.client_address(request)
    if ratelimit.exceeded("draft-stash", address, limit=STASHES_PER_ADDRESS, window=3600):
        return
    drafts = request.session.get(DRAFTS_SESSION_KEY, {})
    drafts.pop(paper.bibtex_key, None)
    while len(drafts) >= MAX_STASHED_DRAFTS:
        drafts.pop(next(iter(drafts)))
    drafts[paper.bibtex_key] = {
        "source": source,
        "is_private": data.get("is_private") == "on",
        "is_anonymous": data.get("is_anonymous") == "on",
        "base_revision": data.get("base_revision") or None,
    }
    request.session[DRAFTS_SESSION_KEY] = drafts


def _pop_draft(request, paper):
    drafts = request.session.get(DRAFTS_SESSION_KEY, {})
    draft = drafts.pop(paper.bibtex_key, None)
    if draft is not None:
        request.session[DRAFTS_SESSION_KEY] = drafts
    return draft


def write(request, key):
    paper = Paper.objects.for_listing().filter(bibtex_key=key).first()
    if paper is None:
        found = Paper.objects.find(key)  # an alias, arXiv id or DOI: to the canonical key
        if found is None:
            raise Http404(f"No paper with the key {key!r}.")
        return redirect("papers:write", key=found.bibtex_key)
    if not request.user.is_authenticated:
        if request.method == "POST":
            _stash_draft(request, paper, request.POST)
            messages.info(
                request,
                "You were logged out. Log in again: your text is kept and waits in the editor.",
            )
        return redirect_to_login(request.path)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.user.is_banned:
        raise PermissionDenied("This account cannot write.")

    summary = Summary.objects.filter(paper=paper, author=request.user).first()
    conflict = None
    preview_html = None
    status = 200
    if request.method == "POST":
        form = SummaryForm(request.POST)
        try:
            with heavy_work(wait=2.0):  # validating reads every \cite of up to 100 KB
                valid = form.is_valid()
        except Busy as busy:
            messages.error(request, busy.message + " Your text is below, not saved yet.")
            valid, status = False, 503
        if valid:
            data = form.cleaned_data
            if "preview" in request.POST:
                try:
                    preview_html = render_preview(user=request.user, source=data["source"]).html
                except PreviewRefused as refusal:
                    messages.error(request, refusal.message)
                    status = refusal.status
            elif not data["is_private"] and not request.user.may_publish:
                form.add_error(None, UNCONFIRMED_PUBLISH)
                status = 403
            elif not ratelimit.allow(user=request.user, action="summary"):
                messages.error(request, ratelimit.limit_for("summary").message)
                status = 429
            else:
                try:
                    with heavy_work(wait=2.0):  # saving renders the text
                        saved = save_summary(
                            paper=paper,
                            author=request.user,
                            source=data["source"],
                            is_private=data["is_private"],
                            is_anonymous=data["is_anonymous"],
                            base_revision_id=data["base_revision"],
                        )
                except Busy as busy:
                    messages.error(request, busy.message + " Your text is below, not saved yet.")
                    status = 503
                except EditConflict as error:
                    conflict = error
                    summary = error.current
                    retry = request.POST.copy()
                    retry["base_revision"] = summary.current_revision_id() or ""
                    form = SummaryForm(retry)
                    status = 409
                except RenderRefused as refusal:
                    form.add_error("source", str(refusal))  # nothing was saved
                    status = 413
                else:
                    messages.success(
                        request,
                        format_html(
                            'Your summary is saved. <a href="{}">Every saved version</a> is kept.',
                            reverse("summaries:history", args=[saved.pk]),
                        ),
                    )
                    if saved.render_problem:
                        messages.warning(request, _render_problem_message(saved))
                    return redirect(saved)
    else:
        draft = _pop_draft(request, paper)
        if draft is not None:
            form = SummaryForm(initial=draft)
            messages.info(
                request, "Here is the text you wrote before logging in. It is not saved yet."
            )
        elif summary is not None:
            form = SummaryForm(
                initial={
                    "source": summary.source,
                    "is_private": summary.is_private,
                    "is_anonymous": summary.is_anonymous,
                    "base_revision": summary.current_revision_id(),
                }
            )
        else:
            form = SummaryForm()
    share_url = None
    if summary is not None and summary.share_token:
        share_url = absolute_url(reverse("summaries:shared", args=[summary.share_token]))
    return render(
        request,
        "summaries/editor.html",
        {
            "paper": paper,
            "summary": summary,
            "form": form,
            "conflict": conflict,
            "preview_html": preview_html,
            "share_url": share_url,
        },
        status=status,
    )


def _render_problem_message(summary):
    return f"Part of your summary could not be shown as written: {summary.render_problem}"


@require_POST
def preview(request):
    """The editor's live preview: the same rendering a save stores, as an HTML fragment."""
    if not request.user.is_authenticated:
        return HttpResponse(
            "Log in again to see the preview. Your text is still in the editor.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    source = request.POST.get("source", "").replace("\r\n", "\n")
    size = len(source.encode("utf-8"))
    if size > settings.SUMMARY_MAX_BYTES:
        return HttpResponse(
            f"The text is {size // 1024} KB; a summary can be at most "
            f"{settings.SUMMARY_MAX_BYTES // 1024} KB.",
            status=413,
            content_type="text/plain; charset=utf-8",
        )
    try:
        rendered = render_preview(user=request.user, source=source)
    except PreviewRefused as refusal:
        response = HttpResponse(
            refusal.message, status=refusal.status, content_type="text/plain; charset=utf-8"
        )
        if refusal.retry_after:
            response["Retry-After"] = str(refusal.retry_after)
        return response
    if rendered.refusal:
        return HttpResponse(rendered.refusal, status=413, content_type="text/plain; charset=utf-8")
    return HttpResponse(rendered.html, content_type="text/html; charset=utf-8")


@require_POST
@login_required
def delete(request, pk):
    summary = _get_summary_for_editing(request, pk)
    delete_summary(summary=summary)
    messages.success(
        request,
        format_html(
            'Your summary is deleted. You can bring it back from <a href="{}">its history '
            "page</a>.",
            reverse("summaries:history", args=[summary.pk]),
        ),
    )
    return redirect(summary.paper)


@require_POST
@login_required
def undelete(request, pk):
    summary = _get_summary_for_restoring(request, pk)
    if summary.can_edit(request.user):
        undelete_summary(summary=summary, by=request.user)
    else:
        # A moderator's restore goes through moderation, so it is in the moderation log.
        moderation.restore(summary, moderator=request.user, reason="Restored from its history")
    messages.success(request, "The summary is back.")
    return redirect("summaries:history", pk=summary.pk)


@require_GET
def history(request, pk):
    summary = _get_summary_for_history(request, pk)
    revisions = list(summary.revisions.select_related("editor").order_by("-pk"))
    by_pk = {revision.pk: revision for revision in revisions}
    for revision in revisions:
        revision.editor_label = _editor_label(request.user, summary, revision)

    def chosen(name, default):
        try:
            return by_pk.get(int(request.GET.get(name, "")), default)
        except ValueError:
            return default

    newer = chosen("b", revisions[0] if revisions else None)
    older = chosen("a", revisions[1] if len(revisions) > 1 else None)
    if older and newer and older.pk > newer.pk:
        older, newer = newer, older
    diff = None
    if older and newer and older != newer:
        try:
            with heavy_work(wait=2.0):
                diff = diff_texts(older.source, newer.source)
        except Busy as busy:
            return HttpResponse(
                busy.message, status=503, headers={"Retry-After": "5"}, content_type="text/plain"
            )
    return render(
        request,
        "summaries/history.html",
        {
            "summary": summary,
            "paper": summary.paper,
            "revisions": revisions,
            "older": older,
            "newer": newer,
            "diff": diff,
            "can_edit": summary.can_edit(request.user),
            "can_undelete": summary.deleted_at is not None
            and (summary.can_edit(request.user) or request.user.is_moderator),
        },
    )


def _editor_label(viewer, summary, revision):
    if revision.editor_id is None:
        return "a deleted account"
    if viewer.is_authenticated and revision.editor_id == viewer.pk:
        return "you"
    if revision.editor_id == summary.author_id and not summary.shows_author:
        return "the author"
    if revision.editor_id != summary.author_id:
        return f"{revision.editor.name} (moderator)"
    return revision.editor.name


@require_POST
@login_required
def restore(request, pk, revision_pk):
    summary = _get_summary_for_editing(request, pk)
    revision = get_object_or_404(Revision, pk=revision_pk, summary=summary)
    if not ratelimit.allow(user=request.user, action="summary"):
        messages.error(request, ratelimit.limit_for("summary").message)
        return redirect("summaries:history", pk=summary.pk)
    restore_revision(summary=summary, revision=revision, editor=request.user)
    messages.success(request, "That revision's text is current again, saved as a new revision.")
    return redirect("summaries:history", pk=summary.pk)


@require_POST
@login_required
def share(request, pk):
    summary = _get_summary_for_editing(request, pk)
    enabled = request.POST.get("action") == "create"
    set_share_link(summary=summary, enabled=enabled)
    if enabled:
        messages.success(request, "Anyone with the new share link can read this summary.")
    else:
        messages.success(request, "The share link is revoked; it no longer opens the summary.")
    return redirect("papers:write", key=summary.paper.bibtex_key)


@require_GET
def shared(request, token):
    summary = get_object_or_404(
        Summary.objects.select_related("author").filter(state="published", deleted_at__isnull=True),
        share_token=token,
    )
    paper = Paper.objects.for_listing().get(pk=summary.paper_id)
    summary.paper = paper
    [card] = summary_cards(request, [summary], heading="h1", whole=True)
    response = render(
        request, "summaries/shared.html", {"summary": summary, "paper": paper, "card": card}
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_POST
def vote(request, pk):
    summary = get_object_or_404(Summary.objects.select_related("paper"), pk=pk)
    if not request.user.is_authenticated:
        if _wants_json(request):
            return JsonResponse({"error": "Log in to vote."}, status=403)
        return redirect_to_login(summary.get_absolute_url())
    try:
        value = int(request.POST.get("value", ""))
    except ValueError:
        value = None
    if value not in (1, -1, 0):
        return _refuse(request, "A vote is up, down or clear.", 400)
    if summary.is_public and not request.user.email_confirmed and not request.user.is_banned:
        return _refuse(request, UNCONFIRMED_ACTION.format(what="voting needs it"), 403)
    if not summary.can_vote(request.user):
        return _refuse(request, "You cannot vote on this summary.", 403)
    if not ratelimit.allow(user=request.user, action="vote"):
        return _refuse(request, ratelimit.limit_for("vote").message, 429)
    result = cast_vote(summary=summary, user=request.user, value=value)
    if _wants_json(request):
        return JsonResponse({"score": result.score, "vote": result.value})
    return redirect(_safe_next(request, summary.get_absolute_url()))


@require_POST
def comment(request, pk):
    summary = get_object_or_404(Summary.objects.select_related("paper", "author"), pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(summary.get_absolute_url())
    if not summary.is_public or request.user.is_banned:
        raise PermissionDenied("Comments are open on public summaries only.")
    if not request.user.may_publish:
        messages.error(request, UNCONFIRMED_ACTION.format(what="commenting needs it"))
        return redirect(summary.get_absolute_url())
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render(
            request, "summaries/comment_form.html", {"summary": summary, "form": form}, status=400
        )
    if not ratelimit.allow(user=request.user, action="comment"):
        messages.error(request, ratelimit.limit_for("comment").message)
        return render(
            request, "summaries/comment_form.html", {"summary": summary, "form": form}, status=429
        )
    new = post_comment(summary=summary, author=request.user, source=form.cleaned_data["source"])
    messages.success(request, "Your comment is posted.")
    return redirect(summary.paper.get_absolute_url() + f"#comment-{new.pk}")


@require_POST
@login_required
def delete_own_comment(request, pk):
    target = get_object_or_404(Comment.objects.select_related("summary__paper"), pk=pk)
    if not target.can_delete(request.user):
        raise PermissionDenied("Only its writer can delete a comment.")
    delete_comment(comment=target)
    messages.success(request, "Your comment is deleted.")
    return redirect(target.summary.get_absolute_url())


# Reports to the moderators ---------------------------------------------------------------


def _report(request, *, summary=None, comment=None):
    """The report form for a public summary or comment, and what happens when it is sent."""
    content = summary or comment
    if not content.is_public:
        raise Http404("Nothing to report here.")
    if request.user.is_banned or request.user.pk == content.author_id:
        raise PermissionDenied("You cannot report this.")
    back = (summary or comment.summary).get_absolute_url()
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.allow(user=request.user, action="report"):
            messages.error(request, ratelimit.limit_for("report").message)
            return redirect(back)
        _, created = file_report(
            reporter=request.user, summary=summary, comment=comment, **form.cleaned_data
        )
        messages.success(
            request,
            "Thank you: the moderators will look at it."
            if created
            else "Your earlier report on this is updated.",
        )
        return redirect(back)
    return render(
        request,
        "summaries/report.html",
        {"form": form, "summary": summary, "comment": comment, "back": back},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_summary(request, pk):
    summary = get_object_or_404(Summary.objects.select_related("paper", "author"), pk=pk)
    return _report(request, summary=summary)


@login_required
@require_http_methods(["GET", "POST"])
def report_comment(request, pk):
    comment = get_object_or_404(
        Comment.objects.select_related("summary__paper", "summary__author", "author"), pk=pk
    )
    return _report(request, comment=comment)
