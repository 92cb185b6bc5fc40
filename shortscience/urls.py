from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter

from accounts.urls import auth_urlpatterns
from shortscience import converters, views

register_converter(converters.BibKeyConverter, "bibkey")

handler404 = "shortscience.views.page_not_found"
handler500 = "shortscience.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("csp-report/", views.csp_report, name="csp_report"),
    path("", include("summaries.urls")),
    path("", include("papers.urls")),
    path("", include("accounts.urls")),
    *auth_urlpatterns,
]

if settings.BENCH_FLOOR:
    urlpatterns.append(path("bench/floor/", views.bench_floor))
