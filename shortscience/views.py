from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

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
    body = ROBOTS + f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}\n"
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors beyond the basics: the database may be what failed.
    return render(request, "500.html", status=500)
