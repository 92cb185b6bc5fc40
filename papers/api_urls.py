from django.urls import path

from . import api

app_name = "api"

urlpatterns = [
    path("", api.index, name="index"),
    path("summaries/latest/", api.latest_summaries, name="latest"),
    path("papers/", api.papers_batch, name="papers"),
    # The summaries route first: a key may contain slashes, so ".../summaries/" must win.
    path("papers/<bibkey:identifier>/summaries/", api.paper_summaries, name="paper_summaries"),
    path("papers/<bibkey:identifier>/", api.paper_detail, name="paper"),
]
