"""The sitemap: papers with public summaries, venues and venue-years, writers and the few
fixed pages. URLs are built from SITE_URL, not from whatever Host a request came with."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Exists, OuterRef
from django.urls import reverse

from accounts.models import User
from papers.models import Paper, Venue
from shortscience.links import absolute_url
from summaries.models import Summary


class SiteSitemap(Sitemap):
    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class PageSitemap(SiteSitemap):
    changefreq = "daily"

    def items(self):
        return ["summaries:home", "papers:venues", "accounts:users", "summaries:about"]

    def location(self, name):
        return reverse(name)


class PaperSitemap(SiteSitemap):
    changefreq = "weekly"

    def items(self):
        return (
            Paper.objects.filter(public_summary_count__gt=0)
            .only("bibtex_key", "updated")
            .order_by("pk")
        )

    def lastmod(self, paper):
        return paper.updated


class VenueSitemap(SiteSitemap):
    changefreq = "weekly"

    def items(self):
        with_summaries = Paper.objects.filter(venue=OuterRef("pk"), public_summary_count__gt=0)
        return Venue.objects.filter(Exists(with_summaries)).only("key").order_by("key")


class VenueYearSitemap(SiteSitemap):
    changefreq = "weekly"

    def items(self):
        return list(
            Paper.objects.filter(public_summary_count__gt=0)
            .exclude(venue=None)
            .exclude(year=None)
            .values_list("venue__key", "year")
            .distinct()
            .order_by("venue__key", "year")
        )

    def location(self, venue_year):
        return reverse("papers:venue_year", args=venue_year)


class WriterSitemap(SiteSitemap):
    changefreq = "weekly"

    def items(self):
        # Only writers with a signed public summary: anonymous ones must not surface anyone.
        signed = Summary.objects.public().filter(author=OuterRef("pk"), is_anonymous=False)
        return User.objects.filter(Exists(signed), is_active=True).only("username").order_by("pk")


SITEMAPS = {
    "pages": PageSitemap,
    "papers": PaperSitemap,
    "venues": VenueSitemap,
    "venue-years": VenueYearSitemap,
    "writers": WriterSitemap,
}


def index(request, **kwargs):
    """Django's sitemap index, with its section links on SITE_URL like every other link (Django
    builds them from the request's Host)."""
    response = sitemap_views.index(request, **kwargs)
    for item in response.context_data["sitemaps"]:
        parts = urlsplit(item.location)
        item.location = absolute_url(parts.path + (f"?{parts.query}" if parts.query else ""))
    return response
