from django.urls import path

from . import following_views as views

app_name = "following"

urlpatterns = [
    path("follow/", views.follow, name="follow"),
    path("following/", views.following_list, name="list"),
    path("following/settings/", views.following_list, name="settings"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.mark_all_read, name="read_all"),
    path("notices/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("requests/", views.most_requested, name="most_requested"),
    path("reading-list/", views.reading_list_page, name="reading_list"),
    path("reading-list/<int:pk>/", views.update_saved, name="update_saved"),
    path("reading-list.bib", views.reading_list_bibtex, name="reading_list_bibtex"),
    path("reading-list/import/", views.reading_list_import, name="reading_list_import"),
    path("paper/<bibkey:key>/request/", views.request_summary, name="request"),
    path("paper/<bibkey:key>/save/", views.save_for_later, name="save"),
]
