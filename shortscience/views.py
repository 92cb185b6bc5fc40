import json
import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from papers import lookup
from shortscience.links import absolute_url

csp_log = logging.getLogger("shortscience.csp")

ROBOTS = """User-agent: *
Disallow: /search/
Disallow: /accounts/
Disallow: /preview/
Disallow: /random/
Disallow: /admin/
Disallow: /papers/add/
Disallow: /s/
"""


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    body = ROBOTS + f"Sitemap: {absolute_url('/sitemap.xml')}\n"
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


FAVICON = (settings.BASE_DIR / "static" / "img" / "favicon.ico").read_bytes()


@require_GET
@cache_control(max_age=7 * 86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin, feeds)."""
    return HttpResponse(FAVICON, content_type="image/vnd.microsoft.icon")


def page_not_found(request, exception):
    context = {}
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name == "papers:detail":
        # An unknown paper's address: offer to add it, with what the address names filled in.
        context = {"missing_paper": match.kwargs["key"]}
        context["add_url"] = lookup.add_url_for(match.kwargs["key"])
    return render(request, "404.html", context, status=404)


def server_error(request):
    """The 500 handler; Django calls it while handling the exception, so a database outage
    can be told apart and answered with a 503 that invites a retry."""
    # Templates rendered here stand alone: the database may be what failed.
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(render_to_string("500.html"), status=500)


@csrf_exempt
@require_POST
def csp_report(request):
    """Browsers post Content-Security-Policy violations here; they go to the log."""
    body = request.body[:8192].decode("utf-8", "replace")
    try:
        report = json.loads(body)
    except ValueError:
        return HttpResponse(status=400)
    csp_log.warning("CSP violation: %s", json.dumps(report, sort_keys=True)[:4000])
    return HttpResponse(status=204)


def bench_floor(request):
    """The cheapest page the stack can serve: every middleware, no query, no template."""
    return HttpResponse("ok", content_type="text/plain")


def bench_floor_signed_in(request):
    """The floor for signed-in readers: the same, after loading the session and the user."""
    return HttpResponse(f"ok {request.user.is_authenticated}", content_type="text/plain")
