"""What browser extensions and other sites use: many papers in one request, CORS preflights,
JSON 405s for methods the API does not take, and each paper's embeddable badge."""

import pytest
from django.test import Client

from papers.models import Paper, PaperAlias
from tests.conftest import make_paper, make_summary


def test_batch_gives_each_id_its_paper_and_summary_count(client, summary, venue, author):
    nature = make_paper(
        "10.1038/nature14539", venue=None, title="Deep learning", doi="10.1038/nature14539"
    )
    PaperAlias.objects.create(key="journals/corr/RenHG015", paper=summary.paper)
    ids = "1506.01497,10.1038/NATURE14539,journals/corr/RenHG015,2101.00001,deep learning"
    response = client.get(f"/api/papers/?ids={ids}")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    papers = response.json()["papers"]
    assert list(papers) == [
        "1506.01497", "10.1038/NATURE14539", "journals/corr/RenHG015", "2101.00001", "deep learning"
    ]  # fmt: skip
    assert papers["1506.01497"]["key"] == "conf/nips/RenHGS15"
    assert papers["1506.01497"]["summary_count"] == 1
    assert papers["10.1038/NATURE14539"]["key"] == nature.bibtex_key
    assert papers["10.1038/NATURE14539"]["summary_count"] == 0
    assert papers["journals/corr/RenHG015"]["key"] == "conf/nips/RenHGS15"
    assert papers["2101.00001"] is None and papers["deep learning"] is None
    assert response.json()["found"] == 3


def test_batch_takes_a_hundred_ids_in_a_fixed_number_of_queries(
    client, venue, author, django_assert_max_num_queries
):
    for i in range(30):
        make_paper(f"journals/corr/1706.{i:05d}", venue=venue, arxiv_id=f"1706.{i:05d}")
    ids = ",".join([f"1706.{i:05d}" for i in range(60)] + [f"conf/x/K{i}" for i in range(40)])
    with django_assert_max_num_queries(5):
        response = client.get(f"/api/papers/?ids={ids}")
    assert response.json()["found"] == 30 and len(response.json()["papers"]) == 100


def test_batch_refuses_more_than_a_hundred_or_none(client, db):
    too_many = ",".join(f"1706.{i:05d}" for i in range(101))
    response = client.get(f"/api/papers/?ids={too_many}")
    assert response.status_code == 400 and "At most 100" in response.json()["error"]
    assert client.get("/api/papers/").status_code == 400


def test_cors_preflight_is_answered_for_any_api_url(client, db):
    response = client.options(
        "/api/papers/?ids=1706.03762",
        HTTP_ORIGIN="https://arxiv-sanity.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert set(response["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert "Access-Control-Max-Age" in response


def test_a_preflight_does_not_empty_the_page_cache(client, summary, settings):
    settings.PAGE_CACHE_SECONDS = 600
    client.get("/")
    client.options("/api/papers/1506.01497/")
    assert client.get("/")["X-Cache"] == "hit"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", ["/api/papers/?ids=1506.01497", "/api/papers/1506.01497/", "/api/"])
def test_other_methods_get_405_as_json_even_without_csrf_token(summary, method, url):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(url)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "read-only" in response.json()["error"]
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert Paper.objects.filter(bibtex_key="conf/nips/RenHGS15").exists()


def test_badge_says_how_many_summaries_and_may_be_embedded_anywhere(client, summary, stranger):
    make_summary(summary.paper, stranger, "A second view.")
    response = client.get("/paper/conf/nips/RenHGS15/badge.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg") and "ShortScience" in svg and "2 summaries" in svg
    assert "public" in response["Cache-Control"] and "max-age" in response["Cache-Control"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    again = client.get("/paper/conf/nips/RenHGS15/badge.svg", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_badge_of_an_alias_redirects_and_of_an_unknown_paper_says_so(client, summary):
    PaperAlias.objects.create(key="journals/corr/RenHG015", paper=summary.paper)
    moved = client.get("/paper/journals/corr/RenHG015/badge.svg")
    assert moved.status_code == 301
    assert moved["Location"] == "/paper/conf/nips/RenHGS15/badge.svg"
    missing = client.get("/paper/conf/nips/Nothing99/badge.svg")
    assert missing.status_code == 404 and "not here yet" in missing.content.decode()


def test_paper_page_offers_the_badge_snippet_to_copy(client, summary, settings):
    page = client.get("/paper/conf/nips/RenHGS15/").content.decode()
    badge = f"{settings.SITE_URL}/paper/conf/nips/RenHGS15/badge.svg"
    assert f'&lt;img src="{badge}"' in page
    assert f"[![Summaries on ShortScience]({badge})]" in page
    assert 'data-copy="badge-html"' in page


def test_badge_costs_one_query(client, summary, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get("/paper/conf/nips/RenHGS15/badge.svg").status_code == 200
