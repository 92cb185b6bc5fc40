"""Links built for the outside world (e-mails, feeds, canonical tags, the API, share links,
robots.txt) come from here, from SITE_URL, never from the Host header a request came with:
under `make run` SITE_URL follows HOST and PORT, in production it is the public address."""

from django.conf import settings


def absolute_url(path):
    """`path` (starting with /) on the site's public address."""
    return settings.SITE_URL + path
