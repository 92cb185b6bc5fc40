"""The read-only JSON API (documented in README.md, "API"). Public data only: public summaries,
and for an anonymous summary no trace of who wrote it. Any site may call it (CORS `*`)."""

import functools

from django.http import Http404, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from shortscience import pagecache
from shortscience.links import absolute_url
from shortscience.pagecache import tag
from summaries.models import Summary
from summaries.pagination import paginate

from .models import Paper


def api_view(view):
    """GET only, JSON errors, and headers that let browser extensions and caches use it."""

    @require_GET
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = JsonResponse(view(request, *args, **kwargs))
        except Http404 as error:
            response = JsonResponse({"error": str(error) or "Not found."}, status=404)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=300"
        return response

    return wrapper


def absolute(path):
    return absolute_url(path)


def paper_json(paper):
    return {
        "key": paper.bibtex_key,
        "title": paper.title,
        "authors": paper.author_names,
        "year": paper.year,
        "venue": {"key": paper.venue.key, "name": paper.venue.name} if paper.venue else None,
        "venue_name": paper.venue_label or None,
        "arxiv_id": paper.arxiv_id or None,
        "doi": paper.doi or None,
        "keywords": [keyword.name for keyword in paper.keywords.all()],
        "url": absolute(paper.get_absolute_url()),
        "summary_count": paper.public_summary_count,
    }


def summary_json(summary):
    author = None
    if summary.shows_author:
        author = {
            "username": summary.author.username,
            "name": summary.author.name,
            "url": absolute(summary.author.get_absolute_url()),
        }
    return {
        "id": summary.pk,
        "url": absolute(summary.get_absolute_url()),
        "author": author,
        "anonymous": summary.is_anonymous,
        "score": summary.score,
        "created": summary.created.isoformat(),
        "edited": summary.edited.isoformat(),
        "html": summary.html,
    }


def _get_paper(request, identifier):
    paper = Paper.objects.find(identifier)
    if paper is None:
        raise Http404("No paper with that key, arXiv id or DOI.")
    pagecache.depends_on(request, tag("paper", paper.pk))
    return Paper.objects.for_listing().get(pk=paper.pk)


def _public_summaries_of(paper):
    return list(
        Summary.objects.public().filter(paper=paper).select_related("author", "paper").best_first()
    )


@api_view
def index(request):
    return {
        "documentation": "The API section of ShortScience's README.md.",
        "endpoints": {
            "paper": absolute(reverse("api:paper", args=["1706.03762"])),
            "paper_summaries": absolute(reverse("api:paper_summaries", args=["1706.03762"])),
            "latest_summaries": absolute(reverse("api:latest")),
        },
    }


@api_view
def paper_detail(request, identifier):
    """A paper by key, alias, arXiv id or DOI with its public summaries, best first; 404 when it
    has none, so "is there a summary of this paper?" is one request."""
    paper = _get_paper(request, identifier)
    summaries = _public_summaries_of(paper)
    if not summaries:
        raise Http404("No public summary of this paper yet.")
    return {**paper_json(paper), "summaries": [summary_json(s) for s in summaries]}


@api_view
def paper_summaries(request, identifier):
    paper = _get_paper(request, identifier)
    summaries = _public_summaries_of(paper)
    return {"paper": paper_json(paper), "summaries": [summary_json(s) for s in summaries]}


@api_view
def latest_summaries(request):
    pagecache.depends_on(request, pagecache.SITE_LISTINGS)
    page = paginate(request, Summary.objects.public().for_listing().recent(), clamp=False)
    next_url = None
    if page.has_next():
        next_url = absolute(reverse("api:latest") + f"?page={page.next_page_number()}")
    return {
        "summaries": [
            {**summary_json(summary), "paper": paper_json(summary.paper)}
            for summary in page.object_list
        ],
        "page": page.number,
        "pages": page.paginator.num_pages,
        "next": next_url,
    }
