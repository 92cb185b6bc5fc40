from django.urls import path, re_path

from summaries import views as summaries_views

from . import views

app_name = "papers"

urlpatterns = [
    # The original site's query-string URLs, answered with a 301 to the canonical page.
    re_path(r"^paper/?$", views.legacy_paper, name="legacy_paper"),
    re_path(r"^venue/?$", views.legacy_venue, name="legacy_venue"),
    # Before the paper page: keys contain slashes, so ".../write/" would otherwise be a key.
    path("paper/<bibkey:key>/write/", summaries_views.write, name="write"),
    # Before paper/<key>/, which would otherwise read ".../bibtex" as part of the key.
    path("paper/<bibkey:key>/bibtex/", views.paper_bibtex_view, name="bibtex"),
    path("paper/<bibkey:key>/badge.svg", views.paper_badge, name="badge"),
    path("paper/<bibkey:key>/", views.paper_detail, name="detail"),
    path("papers/add/", views.add_papers, name="add"),
    path("user/<str:username>/bibtex/", views.user_bibtex, name="user_bibtex"),
    path("venues/", views.venue_list, name="venues"),
    re_path(
        r"^venue/(?P<key>.+?)/(?P<year>[0-9]{1,5})/bibtex/$",
        views.venue_year_bibtex,
        name="venue_year_bibtex",
    ),
    re_path(r"^venue/(?P<key>.+?)/(?P<year>[0-9]{1,5})/$", views.venue_detail, name="venue_year"),
    path("venue/<bibkey:key>/", views.venue_detail, name="venue"),
    path("year/<int:year>/", views.year_detail, name="year"),
    path("search/", views.search_page, name="search"),
    path("author/<str:slug>/", views.author_detail, name="author"),
    path("keyword/<path:name>/", views.keyword_detail, name="keyword"),
]
