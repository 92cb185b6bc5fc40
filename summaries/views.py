from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import User
from papers.models import Paper, Venue
from summaries.pagination import paginate

from .models import Summary

HOME_TABS = {
    "popular": ("Popular", "Best recent summaries: score with time decay", "popular"),
    "recent": ("Recent", "Newest and recently edited summaries", "recent"),
    "top": ("Top", "Highest-scored summaries of all time", "best_first"),
}


@require_GET
def home(request):
    tab = request.GET.get("tab", "recent")
    if tab not in HOME_TABS:
        tab = "recent"
    ordering = HOME_TABS[tab][2]
    summaries = getattr(Summary.objects.public().for_listing(), ordering)()
    page = paginate(request, summaries)
    return render(
        request,
        "summaries/home.html",
        {
            "tab": tab,
            "tabs": [(key, label, hint) for key, (label, hint, _) in HOME_TABS.items()],
            "page": page,
            "public_count": page.paginator.count,
        },
    )


@require_GET
def about(request):
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
