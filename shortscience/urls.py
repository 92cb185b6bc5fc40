from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, register_converter

from accounts.urls import auth_urlpatterns
from shortscience import converters, sitemaps, views
from shortscience.sitemaps import SITEMAPS

register_converter(converters.BibKeyConverter, "bibkey")

handler404 = "shortscience.views.page_not_found"
handler500 = "shortscience.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("feeds/", include("summaries.feed_urls")),
    path("api/", include("papers.api_urls")),
    path(
        "sitemap.xml",
        sitemaps.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("csp-report/", views.csp_report, name="csp_report"),
    path("", include("summaries.following_urls")),
    path("", include("shortscience.legacy_urls")),
    path("", include("summaries.urls")),
    path("", include("papers.urls")),
    path("", include("accounts.urls")),
    *auth_urlpatterns,
]

if settings.BENCH_FLOOR:
    urlpatterns.append(path("bench/floor/", views.bench_floor))
    urlpatterns.append(path("bench/floor/signed-in/", views.bench_floor_signed_in))
