from django.urls import path

from . import views

app_name = "summaries"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("random/", views.random_summary, name="random"),
    path("preview/", views.preview, name="preview"),
    path("s/<str:token>/", views.shared, name="shared"),
    path("summaries/<int:pk>/history/", views.history, name="history"),
    path(
        "summaries/<int:pk>/revisions/<int:revision_pk>/restore/",
        views.restore,
        name="restore_revision",
    ),
    path("summaries/<int:pk>/delete/", views.delete, name="delete"),
    path("summaries/<int:pk>/undelete/", views.undelete, name="undelete"),
    path("summaries/<int:pk>/share/", views.share, name="share"),
    path("summaries/<int:pk>/vote/", views.vote, name="vote"),
    path("summaries/<int:pk>/comments/", views.comment, name="comment"),
    path("comments/<int:pk>/delete/", views.delete_own_comment, name="delete_comment"),
    path("summaries/<int:pk>/report/", views.report_summary, name="report_summary"),
    path("comments/<int:pk>/report/", views.report_comment, name="report_comment"),
]
