from django.db.models import F, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from summaries.models import Citation, Comment, Summary
from summaries.pagination import paginate

from . import search, sharing
from .models import Author, Keyword, Paper, PaperAlias, Venue
from .search_form import SearchForm


def _get_paper_or_redirect(key):
    """The paper with this key, or a redirect to it when the key is an alias, an arXiv id or a
    DOI; 404 otherwise."""
    paper = Paper.objects.for_listing().filter(bibtex_key=key).first()
    if paper:
        return paper, None
    alias = PaperAlias.objects.select_related("paper").filter(key=key).first()
    target = alias.paper if alias else Paper.objects.find(key)
    if target is None:
        raise Http404(f"No paper with the key {key!r}.")
    return None, redirect(target, permanent=True)


@require_GET
def paper_detail(request, key):
    paper, redirection = _get_paper_or_redirect(key)
    if redirection:
        return redirection
    summaries = list(
        Summary.objects.visible_to(request.user)
        .filter(paper=paper)
        .select_related("author", "paper")
        .with_vote_of(request.user)
        .prefetch_related(
            Prefetch(
                "comments",
                queryset=Comment.objects.public().select_related("author"),
                to_attr="public_comments",
            )
        )
        .best_first()
    )
    own_summary = next((s for s in summaries if s.author_id == request.user.pk), None)
    public_summaries = Summary.objects.public().filter(paper=paper)
    cites = (
        Paper.objects.for_listing()
        .filter(citations__summary__in=public_summaries)
        .exclude(pk=paper.pk)
        .distinct()
        .order_by("-year", "title")
    )
    missing_citations = (
        Citation.objects.filter(summary__in=public_summaries, paper__isnull=True)
        .values_list("cited_key", flat=True)
        .distinct()
        .order_by("cited_key")
    )
    cited_by = (
        Summary.objects.public()
        .filter(citations__paper=paper)
        .exclude(paper=paper)
        .select_related("author", "paper")
        .distinct()
        .order_by("-score", "-created")
    )
    public = [summary for summary in summaries if summary.is_public]
    card = sharing.social_card(paper, public)
    return render(
        request,
        "papers/paper_detail.html",
        {
            "paper": paper,
            "card": card,
            "json_ld": sharing.scholarly_article(paper, public, card),
            "summaries": summaries,
            "own_summary": own_summary,
            "cites": list(cites),
            "missing_citations": list(missing_citations),
            "cited_by": list(cited_by),
        },
    )


@require_GET
def legacy_paper(request):
    key = request.GET.get("bibtexKey", "").strip()
    if not key:
        raise Http404("No bibtexKey given.")
    return redirect(reverse("papers:detail", args=[key]), permanent=True)


@require_GET
def legacy_venue(request):
    key = request.GET.get("key", "").strip()
    if not key:
        return redirect("papers:venues", permanent=True)
    year = request.GET.get("year", "").strip()
    if year.isdigit() and len(year) == 4:
        return redirect(reverse("papers:venue_year", args=[key, year]), permanent=True)
    return redirect(reverse("papers:venue", args=[key]), permanent=True)


@require_GET
def venue_list(request):
    venues = Venue.objects.annotate(
        summary_count=Coalesce(Sum("papers__public_summary_count"), 0)
    ).order_by("-summary_count", "name")
    return render(request, "papers/venue_list.html", {"venues": venues})


@require_GET
def venue_detail(request, key, year=None):
    venue = get_object_or_404(Venue, key=key)
    years = list(
        Paper.objects.filter(venue=venue, public_summary_count__gt=0, year__isnull=False)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )
    if year is not None:
        year = int(year)
    summaries = Summary.objects.public().filter(paper__venue=venue)
    if year is not None:
        summaries = summaries.filter(paper__year=year)
    page = paginate(request, summaries.for_listing().with_vote_of(request.user).best_first())
    return render(
        request,
        "papers/venue_detail.html",
        {"venue": venue, "years": years, "year": year, "page": page},
    )


@require_GET
def year_detail(request, year):
    summaries = (
        Summary.objects.public()
        .filter(paper__year=year)
        .for_listing()
        .with_vote_of(request.user)
        .best_first()
    )
    page = paginate(request, summaries)
    return render(request, "papers/year_detail.html", {"year": year, "page": page})


@require_GET
def search_page(request):
    """Search results; a query that is a key, arXiv id or DOI of a paper goes straight to it."""
    form = SearchForm(request.GET or None)
    query = ""
    page = None
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
    if query:
        paper = search.paper_named_by(query)
        if paper:
            return redirect(paper)
        results = search.search(query, **form.search_arguments()).for_listing()
        page = paginate(request, results)
        page.object_list = search.attach_snippets(page.object_list, query)
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "papers/search.html",
        {
            "form": form,
            "query": query,
            "page": page,
            "query_string": filters.urlencode(),
            "result_cap": search.result_cap(),
        },
    )


@require_GET
def author_detail(request, slug):
    author = get_object_or_404(Author, slug=slug)
    papers = (
        Paper.objects.filter(authorships__author=author)
        .for_listing()
        .order_by(F("year").desc(nulls_last=True), "title")
    )
    page = paginate(request, papers, per_page=50)
    return render(request, "papers/author_detail.html", {"author": author, "page": page})


@require_GET
def keyword_detail(request, name):
    keyword = get_object_or_404(Keyword, name=name)
    summaries = Summary.objects.public().filter(paper__keywords=keyword)
    page = paginate(request, summaries.for_listing().best_first())
    return render(request, "papers/keyword_detail.html", {"keyword": keyword, "page": page})
