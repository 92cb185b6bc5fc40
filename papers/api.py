"""The read-only JSON API (documented in README.md, "API"). Public data only: public summaries,
and for an anonymous summary no trace of who wrote it. Any site may call it (CORS `*`)."""

import functools

from django.core.exceptions import BadRequest
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from shortscience import pagecache
from shortscience.links import absolute_url
from shortscience.methods import api_preflight
from shortscience.pagecache import tag
from summaries.models import Summary
from summaries.pagination import paginate

from .models import Paper
from .search import papers_named_by

API_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_BATCH = 100


def api_view(view):
    """GET and HEAD, a CORS preflight for OPTIONS, JSON errors (405 for any other method),
    and headers that let browser extensions and caches use it. Nothing here changes anything,
    so no CSRF token is asked for: a POST gets its 405, not the CSRF failure page."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            return api_preflight()
        if request.method not in API_METHODS:
            response = JsonResponse(
                {"error": f"{request.method} is not allowed here: the API is read-only."},
                status=405,
            )
            response["Allow"] = ", ".join(API_METHODS)
            response["Access-Control-Allow-Origin"] = "*"
            return response
        try:
            response = JsonResponse(view(request, *args, **kwargs))
        except Http404 as error:
            response = JsonResponse({"error": str(error) or "Not found."}, status=404)
        except BadRequest as error:
            response = JsonResponse({"error": str(error)}, status=400)
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
            "papers": absolute(reverse("api:papers") + "?ids=1706.03762,10.1038/nature14539"),
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


@api_view
def papers_batch(request):
    """Many papers at once (`?ids=a,b,c`, up to MAX_BATCH): each identifier as asked, with its
    paper (and public-summary count) or null, for lists that show counts next to every paper."""
    ids = []
    for value in request.GET.getlist("ids"):
        ids.extend(part.strip() for part in value.split(",") if part.strip())
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise BadRequest(
            "Give the papers as ?ids=1706.03762,10.1038/nature14539,... (keys, arXiv ids or DOIs)."
        )
    if len(ids) > MAX_BATCH:
        raise BadRequest(f"At most {MAX_BATCH} ids in one request; {len(ids)} were given.")
    found = papers_named_by(ids)
    return {
        "papers": {
            identifier: paper_json(paper) if paper else None for identifier, paper in found.items()
        },
        "found": sum(1 for paper in found.values() if paper),
    }
