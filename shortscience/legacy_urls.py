"""The original site's addresses that readers, bookmarks and tools still use (README, "Old
addresses"). Each answers with a 301 to today's page, keeping its query string, except the
feeds, which answer in place, and /logout, which asks first: a link must not log anyone out."""

from urllib.parse import urlencode

from django.http import HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import path, re_path, reverse
from django.views.decorators.http import require_GET

from summaries.legacy_feeds import AllSummariesFeed, FullTextFeed, LegacyFeed

app_name = "legacy"


def _moved(name, *, fragment="", query=None):
    """A view answering with a 301 to the page named `name`, with the request's query string
    (or `query(request)`, the query to send instead)."""

    @require_GET
    def view(request):
        target = reverse(name)
        params = query(request) if query else request.META.get("QUERY_STRING", "")
        if params:
            target += "?" + params
        return HttpResponsePermanentRedirect(target + fragment)

    return view


def _search_query(field):
    def query(request):
        text = request.GET.get(field) or request.GET.get("q", "")
        rest = [(k, v) for k, vs in request.GET.lists() if k not in (field, "q") for v in vs]
        return urlencode([("q", text), *rest])

    return query


@require_GET
def logout_page(request):
    if not request.user.is_authenticated:
        return redirect("summaries:home")
    return render(request, "registration/logout_confirm.html")


urlpatterns = [
    path("rss.xml", LegacyFeed(), name="rss"),
    path("rss-all.xml", AllSummariesFeed(), name="rss_all"),
    path("rss-full.xml", FullTextFeed(), name="rss_full"),
    re_path(r"^internalsearch/?$", _moved("papers:search", query=_search_query("q"))),
    # Without its slash: /search/ is today's page (and its "term" was called "q").
    re_path(r"^search$", _moved("papers:search", query=_search_query("term"))),
    re_path(r"^login/?$", _moved("login")),
    re_path(r"^signup/?$", _moved("accounts:signup")),
    re_path(r"^settings/?$", _moved("accounts:settings")),
    re_path(r"^recover/?$", _moved("password_reset")),
    re_path(r"^export/?$", _moved("accounts:settings", fragment="#your-data")),
    re_path(r"^logout/?$", logout_page, name="logout"),
]
