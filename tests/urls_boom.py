from django.urls import path

from shortscience.urls import urlpatterns as site_urlpatterns


def boom(request):
    raise RuntimeError("deliberate failure for the 500-page test")


handler500 = "shortscience.views.server_error"
urlpatterns = [path("boom/", boom), *site_urlpatterns]
