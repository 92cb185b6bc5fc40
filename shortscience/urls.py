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
    path("feeds/", include("summaries.feed_urls")),
    path("", include("summaries.urls")),
    path("", include("papers.urls")),
    path("", include("accounts.urls")),
    *auth_urlpatterns,
]
