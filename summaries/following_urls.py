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
]
