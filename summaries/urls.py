from django.urls import path

from . import views

app_name = "summaries"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("random/", views.random_summary, name="random"),
]
