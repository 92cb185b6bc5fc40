import re

from django.utils import timezone

from accounts.models import User
from papers.models import Venue
from tests.conftest import make_paper, make_summary


def locations(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return re.findall(r"<loc>([^<]+)</loc>", response.content.decode())


def all_sitemap_urls(client):
    from django.conf import settings

    urls = []
    for section in locations(client, "/sitemap.xml"):
        urls += locations(client, section.replace(settings.SITE_URL, ""))
    return urls


def test_sitemap_index_lists_each_section_on_the_sites_address(client, summary, settings):
    settings.SITE_URL = "https://shortscience.example"
    sections = locations(client, "/sitemap.xml")
    for name in ("pages", "papers", "venues", "venue-years", "writers"):
        assert f"https://shortscience.example/sitemap-{name}.xml" in sections


def test_sitemap_lists_papers_with_summaries_venues_years_and_writers(client, summary, settings):
    make_paper("conf/nips/Lonely15", venue=summary.paper.venue, title="Nobody wrote about me")
    urls = all_sitemap_urls(client)
    site = settings.SITE_URL
    assert f"{site}/paper/conf/nips/RenHGS15/" in urls
    assert f"{site}/venue/conf/nips/" in urls
    assert f"{site}/venue/conf/nips/2015/" in urls
    assert f"{site}/user/alice/" in urls
    assert f"{site}/" in urls
    assert f"{site}/paper/conf/nips/Lonely15/" not in urls


def test_sitemap_leaves_out_what_has_no_public_summary(client, paper, author, stranger, moderator):
    quiet = Venue.objects.create(key="conf/quiet", name="Quiet")
    hidden_paper = make_paper("conf/quiet/Hidden19", venue=quiet, year=2019)
    make_summary(paper, author, "private", is_private=True)
    make_summary(hidden_paper, stranger, "hidden", state="hidden")
    make_summary(hidden_paper, moderator, "deleted", deleted_at=timezone.now())
    urls = " ".join(all_sitemap_urls(client))
    for absent in ("/paper/", "/venue/", "/user/"):
        assert absent not in urls


def test_writers_with_only_anonymous_summaries_stay_out_of_the_sitemap(client, paper, author):
    make_summary(paper, author, "unsigned", is_anonymous=True)
    urls = " ".join(all_sitemap_urls(client))
    assert "/paper/conf/nips/RenHGS15/" in urls
    assert "/user/alice/" not in urls


def test_sitemap_query_count_does_not_grow_with_papers(
    client, venue, django_assert_max_num_queries
):
    for i in range(30):
        make_summary(make_paper(f"conf/nips/P{i}", venue=venue), User.objects.create_user(f"w{i}"))
    with django_assert_max_num_queries(3):
        assert len(locations(client, "/sitemap-papers.xml")) == 30


def test_robots_keeps_crawlers_out_of_search_accounts_preview_and_random(client, db, settings):
    settings.SITE_URL = "https://shortscience.example"
    body = client.get("/robots.txt", HTTP_HOST="127.0.0.1").content.decode()
    for path in ("/search/", "/accounts/", "/preview/", "/random/"):
        assert f"Disallow: {path}" in body
    assert "Sitemap: https://shortscience.example/sitemap.xml" in body
