import hashlib
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.db.models import F, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from shortscience import pagecache, ratelimit
from shortscience.heavywork import Busy, heavy_work
from shortscience.pagecache import tag
from summaries.cards import paper_cards, shared_fragment, summary_cards
from summaries.models import Citation, Comment, Summary
from summaries.pagination import paginate

from . import badges, bibtex, lookup, search, sharing
from .bibtex_export import bibtex_for_papers, paper_bibtex
from .forms import AddPapersForm, digest_of
from .importing import ALIAS, NEW, UPDATE, apply_import, plan_import, quiet_bibtexparser
from .models import Author, Keyword, Paper, Venue
from .search_form import SearchForm

# Proxies and browsers may merge the two slashes of a URL pasted into a path.
_MERGED_SCHEME_SLASHES = re.compile(r"^(https?):/(?!/)", re.IGNORECASE)
_USERNAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _get_paper_or_redirect(key, *, to=None):
    """The paper with this key, or a redirect to it when the key names it otherwise (an alias,
    an arXiv id, a DOI: Paper.objects.find); 404 otherwise. `to` names the page of the paper to
    redirect to (its detail page by default)."""
    paper = Paper.objects.for_listing().filter(bibtex_key=key).first()
    if paper:
        return paper, None
    target = Paper.objects.find(key)
    if target is None:
        raise Http404(f"No paper with the key {key!r}.")
    if to:
        return None, redirect(to, target.bibtex_key, permanent=True)
    return None, redirect(target, permanent=True)


def _depends_on_paper(request, key):
    """Declare, before reading it, that the page shows the paper with this key."""
    paper_id = Paper.objects.filter(bibtex_key=key).values_list("pk", flat=True).first()
    if paper_id:
        pagecache.depends_on(request, tag("paper", paper_id))


@require_GET
def paper_detail(request, key):
    _depends_on_paper(request, key)
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
    public = [summary for summary in summaries if summary.is_public]
    card = sharing.social_card(paper, public)
    return render(
        request,
        "papers/paper_detail.html",
        {
            "paper": paper,
            "card": card,
            "json_ld": sharing.scholarly_article(paper, public, card),
            "bibtex": paper_bibtex(paper),
            "summaries": summaries,
            "cards": summary_cards(request, summaries, heading=None, comments=True, whole=True),
            "own_summary": own_summary,
            "related": shared_fragment(
                request, "papers/related.html", lambda: _related(paper), "related", paper.pk
            ),
        },
    )


def _related(paper):
    """The papers this one's summaries cite (and the keys not here yet), and the summaries of
    other papers that cite it."""
    public_summaries = Summary.objects.public().filter(paper=paper)
    cites = (
        Paper.objects.filter(citations__summary__in=public_summaries)
        .exclude(pk=paper.pk)
        .only("bibtex_key", "title", "year")
        .prefetch_related(Paper.objects.listing_prefetches()[0])  # authors, for the label
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
        .defer("html", "source", "paper__abstract", "paper__bibtex")
        .distinct()
        .order_by("-score", "-created")
    )
    return {
        "cites": list(cites),
        "missing_citations": list(missing_citations),
        "cited_by": list(cited_by),
    }


@require_GET
def legacy_paper(request):
    key = request.GET.get("bibtexKey", "").strip()
    if not key:
        raise Http404("No bibtexKey given.")
    # "&a=<username>" named one writer's summary: today it is the page's #<username>.
    writer = request.GET.get("a", "").strip()
    anchor = f"#{writer}" if _USERNAME.match(writer) else ""
    return redirect(reverse("papers:detail", args=[key]) + anchor, permanent=True)


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
    pagecache.depends_on(request, pagecache.SITE_LISTINGS)
    venues = list(
        Venue.objects.annotate(
            summary_count=Coalesce(Sum("papers__public_summary_count"), 0)
        ).order_by("-summary_count", "name")
    )
    # Venues nobody has summarized yet are listed apart, not as a long run of zeros.
    return render(
        request,
        "papers/venue_list.html",
        {
            "venues": [venue for venue in venues if venue.summary_count],
            "quiet_venues": [venue for venue in venues if not venue.summary_count],
        },
    )


@require_GET
def venue_detail(request, key, year=None):
    venue_id = Venue.objects.filter(key=key).values_list("pk", flat=True).first()
    if venue_id:
        pagecache.depends_on(request, tag("venue", venue_id))
    venue = get_object_or_404(Venue, key=key)
    years = list(
        Paper.objects.filter(venue=venue, public_summary_count__gt=0, year__isnull=False)
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )
    if year is not None:
        year = int(year)
        if year not in YEARS:
            raise Http404("No such year.")
    summaries = Summary.objects.public().filter(paper__venue=venue)
    if year is not None:
        summaries = summaries.filter(paper__year=year)
    page = paginate(request, summaries.with_vote_of(request.user).best_first())
    return render(
        request,
        "papers/venue_detail.html",
        {
            "venue": venue,
            "years": years,
            "year": year,
            "page": page,
            "cards": summary_cards(request, page.object_list),
        },
    )


# Years a page can be about: a PositiveSmallIntegerField holds more, a URL may ask for any.
YEARS = range(1, 10000)


@require_GET
def year_detail(request, year):
    if year not in YEARS:
        raise Http404("No such year.")
    pagecache.depends_on(request, tag("year", year))
    summaries = (
        Summary.objects.public().filter(paper__year=year).with_vote_of(request.user).best_first()
    )
    page = paginate(request, summaries)
    return render(
        request,
        "papers/year_detail.html",
        {"year": year, "page": page, "cards": summary_cards(request, page.object_list)},
    )


@require_GET
def search_page(request):
    """Search results; a query that is a key, arXiv id or DOI of a paper goes straight to it."""
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = not_here = ""
    filters = request.GET.copy()
    filters.pop("page", None)
    if query:
        pagecache.depends_on(request, pagecache.SEARCH)
        paper = search.paper_named_by(query)
        if paper:
            return redirect(paper)
        if lookup.identify(query):
            not_here = lookup.add_url_for(query)

        def found():
            # Authors and keywords are read only for headers not in the fragment cache.
            papers = search.search(query, **form.search_arguments()).select_related("venue")
            page = paginate(request, papers)
            page.object_list = search.attach_snippets(page.object_list, query)
            return {
                "query": query,
                "page": page,
                "cards": paper_cards(request, page.object_list),
                "query_string": filters.urlencode(),
                "result_cap": search.result_cap(),
            }

        asked = sorted((name, value) for name, values in request.GET.lists() for value in values)
        results = shared_fragment(
            request,
            "papers/search_results.html",
            found,
            "search",
            hashlib.sha256(urlencode(asked).encode()).hexdigest()[:32],
        )
    writers = User.objects.writers_named(query) if query and len(query) >= 2 else []
    context = {
        "form": form,
        "query": query,
        "results": results,
        "writers": writers,
        "not_here": not_here,
    }
    return render(request, "papers/search.html", context)


@require_GET
def author_detail(request, slug):
    author = get_object_or_404(Author, slug=slug)
    papers = (
        Paper.objects.filter(authorships__author=author)
        .select_related("venue")
        .order_by(F("year").desc(nulls_last=True), "title")
    )
    page = paginate(request, papers, per_page=50)
    return render(
        request,
        "papers/author_detail.html",
        {"author": author, "page": page, "cards": paper_cards(request, page.object_list)},
    )


@require_GET
def keyword_detail(request, name):
    pagecache.depends_on(request, pagecache.SITE_LISTINGS)
    keyword = get_object_or_404(Keyword, name=name)
    summaries = Summary.objects.public().filter(paper__keywords=keyword)
    page = paginate(request, summaries.with_vote_of(request.user).best_first())
    return render(
        request,
        "papers/keyword_detail.html",
        {"keyword": keyword, "page": page, "cards": summary_cards(request, page.object_list)},
    )


def _skeleton_entry(key):
    """A BibTeX entry to complete for a key the site does not know yet, or ""."""
    key = bibtex.normalize_key(key)[:255]
    try:
        return bibtex.entry_to_bibtex(
            key=key, entry_type="misc", fields={"title": "", "author": "", "year": ""}
        )
    except ValueError:
        return ""


@login_required
@require_http_methods(["GET", "POST"])
def add_papers(request):
    """Paste or upload BibTeX, see what each entry would do, then import it all at once."""
    missing_key = request.GET.get("key", "").strip()
    if request.method == "GET" and request.GET.get("id", "").strip():
        return _add_by_identifier(request, request.GET["id"].strip())
    if request.method == "GET":
        form = AddPapersForm(initial={"bibtex": _skeleton_entry(missing_key)})
        return render(request, "papers/add.html", {"form": form, "missing_key": missing_key})

    form = AddPapersForm(request.POST, request.FILES)
    if not form.is_valid():
        status = 413 if form.too_large else 400
        return render(request, "papers/add.html", {"form": form}, status=status)
    text = form.cleaned_data["text"]
    refusal = _check_over_limit(request, text)
    if refusal:
        messages.error(request, refusal)
        return render(request, "papers/add.html", {"form": form}, status=429)
    quiet_bibtexparser()
    # Only a moderator's import makes a new key another name of a paper already here.
    may_alias = request.user.is_moderator
    try:
        with heavy_work(wait=2.0):
            plan = plan_import(bibtex.parse_bibtex(text), may_alias=may_alias)
    except Busy as busy:
        messages.error(request, busy.message)
        return render(request, "papers/add.html", {"form": form}, status=503)
    confirmed = "import" in request.POST
    text_changed = confirmed and form.cleaned_data["previewed"] != form.cleaned_data["digest"]
    raced = False
    over_limit = confirmed and _import_over_limit(request, plan)
    if over_limit:
        messages.error(request, over_limit)
    elif confirmed and not text_changed and plan.changes_anything and not plan.has_errors:
        try:
            result = apply_import(plan, source="BibTeX import", user=request.user)
        except IntegrityError:
            # Someone added one of these keys since the plan was made: plan again and show it.
            raced = True
            plan = plan_import(bibtex.parse_bibtex(text), may_alias=may_alias)
        else:
            return _render_imported(request, plan, result)

    # Show the text that was read (an uploaded file's, too), ready to fix and check again.
    encoding = form.encoding
    form = AddPapersForm(initial={"bibtex": text, "previewed": form.cleaned_data["digest"]})
    context = {
        "form": form,
        "plan": plan,
        "counts": plan.counts(),
        "encoding": encoding,
        "text_changed": text_changed,
        "raced": raced,
    }
    return render(request, "papers/add.html", context, status=429 if over_limit else 200)


BIBTEX_BYTES_PER_UNIT = 64 * 1024


def _check_over_limit(request, text):
    """Reading BibTeX costs about 2 s a megabyte: ordinary users' checks and imports are
    counted by their size (a unit per started 64 KB) against an hourly budget; "" when within."""
    if request.user.is_moderator:
        return ""
    cost = 1 + len(text.encode("utf-8", "surrogatepass")) // BIBTEX_BYTES_PER_UNIT
    if ratelimit.allow(user=request.user, action="bibtex", cost=cost):
        return ""
    return (
        "You have checked a lot of BibTeX in the last hour (the limit is about "
        f"{ratelimit.limit_for('bibtex').count * BIBTEX_BYTES_PER_UNIT // 1024 // 1024} MB an "
        "hour). Nothing was read or imported: please wait a little and try again."
    )


def _import_over_limit(request, plan):
    """Why this import would take the user past their hourly number of papers, or "" (and
    then the papers are counted). Moderators import without a limit."""
    if request.user.is_moderator:
        return ""
    cost = sum(plan.counts()[status] for status in (NEW, UPDATE, ALIAS))
    left = ratelimit.remaining(user=request.user, action="import")
    if cost > left:
        limit = ratelimit.limit_for("import")
        return (
            f"This would import {cost:,} papers; you can import {left:,} more in this hour "
            f"(at most {limit.count:,} an hour). Nothing was imported: try again later or "
            "import fewer."
        )
    ratelimit.charge(user=request.user, action="import", cost=cost)
    return ""


def _add_by_identifier(request, text):
    """The add page with the paper an arXiv id, DOI or dblp key names, fetched from the service
    that knows it and previewed as BibTeX; or why not, with the BibTeX paste to fall back on."""
    paper = search.paper_named_by(text)
    if paper:
        messages.info(request, "This paper is already on ShortScience.")
        return redirect(paper)
    context = {"form": AddPapersForm(), "identifier": text}
    identifier = lookup.identify(text)
    if identifier is None:
        context["lookup_error"] = (
            "That is not an arXiv id, a DOI or a dblp key, so it cannot be looked up."
        )
        return render(request, "papers/add.html", context, status=400)
    if not ratelimit.allow(user=request.user, action="lookup"):
        context["lookup_error"] = ratelimit.limit_for("lookup").message
        return render(request, "papers/add.html", context, status=429)
    try:
        found = lookup.look_up(identifier)
    except lookup.ServiceError as error:
        context["lookup_error"] = str(error)
        return render(request, "papers/add.html", context, status=404 if error.missing else 502)
    text = found.bibtex
    plan = plan_import(bibtex.parse_bibtex(text))
    context.update(
        form=AddPapersForm(initial={"bibtex": text, "previewed": digest_of(text)}),
        plan=plan,
        counts=plan.counts(),
        encoding="UTF-8",
        found_on=found.service,
    )
    return render(request, "papers/add.html", context)


def _render_imported(request, plan, result):
    keys = sorted({item.key for item in plan.items} | {item.paper_key for item in plan.items})
    papers = {}
    for start in range(0, len(keys), 2000):
        for paper in Paper.objects.filter(bibtex_key__in=keys[start : start + 2000]):
            papers[paper.bibtex_key] = paper
    rows = [
        {"item": item, "paper": papers.get(item.key) or papers.get(item.paper_key)}
        for item in plan.items
    ]
    return render(
        request, "papers/add_done.html", {"rows": rows, "result": result, "counts": plan.counts()}
    )


def _bibtex_response(text, filename):
    response = HttpResponse(text, content_type="text/x-bibtex; charset=utf-8")
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "papers"
    response["Content-Disposition"] = f'inline; filename="{safe_name}.bib"'
    return response


@require_GET
def paper_bibtex_view(request, key):
    _depends_on_paper(request, key)
    paper, redirection = _get_paper_or_redirect(key, to="papers:bibtex")
    if redirection:
        return redirection
    return _bibtex_response(paper_bibtex(paper), paper.bibtex_key)


BADGE_CACHE_SECONDS = 3600


@require_GET
def paper_badge(request, key):
    """The paper's SVG badge for other sites to embed: public, cacheable, and allowed to be
    loaded from any origin."""
    # One query for a paper's own key; aliases and other identifiers redirect to it.
    count = Paper.objects.filter(bibtex_key=key).values_list("public_summary_count", flat=True)
    count = count.first()
    if count is None:
        try:
            _, redirection = _get_paper_or_redirect(key, to="papers:badge")
        except Http404:
            redirection = None
        if redirection:
            return redirection
    body = badges.badge_svg(count)
    response = HttpResponse(
        body, content_type="image/svg+xml", status=404 if count is None else 200
    )
    response["Cache-Control"] = f"public, max-age={BADGE_CACHE_SECONDS}"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    etag = quote_etag(hashlib.sha256(body.encode()).hexdigest()[:16])
    response["ETag"] = etag
    return get_conditional_response(request, etag=etag, response=response)


@require_GET
def venue_year_bibtex(request, key, year):
    """The summarized papers of a venue's year, as on its page."""
    venue = get_object_or_404(Venue, key=key)
    papers = Paper.objects.filter(venue=venue, year=int(year), public_summary_count__gt=0).order_by(
        "bibtex_key"
    )
    return _bibtex_response(bibtex_for_papers(papers), f"{venue.key}-{year}")


@require_GET
def user_bibtex(request, username):
    """The papers a user has summarized publicly under their name."""
    person = get_object_or_404(User, username__iexact=username, is_active=True)
    signed = Summary.objects.public().filter(author=person, is_anonymous=False)
    papers = Paper.objects.filter(summaries__in=signed).distinct().order_by("bibtex_key")
    return _bibtex_response(bibtex_for_papers(papers), person.username)
