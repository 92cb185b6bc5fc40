from django.urls import path

from .feeds import atom, rss

app_name = "feeds"

urlpatterns = []
for fmt, make in (("rss", rss), ("atom", atom)):
    urlpatterns += [
        path(f"{fmt}/latest/", make("latest"), name=f"latest_{fmt}"),
        path(f"{fmt}/top/", make("top"), name=f"top_{fmt}"),
        path(f"{fmt}/paper/<bibkey:key>/", make("paper"), name=f"paper_{fmt}"),
        path(f"{fmt}/venue/<bibkey:key>/", make("venue"), name=f"venue_{fmt}"),
        path(f"{fmt}/user/<str:username>/", make("user"), name=f"user_{fmt}"),
        path(f"{fmt}/keyword/<path:name>/", make("keyword"), name=f"keyword_{fmt}"),
    ]
