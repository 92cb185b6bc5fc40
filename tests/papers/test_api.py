import pytest
from django.utils import timezone

from accounts.models import User
from tests.conftest import make_paper, make_summary

SUMMARY_FIELDS = {"id", "url", "author", "anonymous", "score", "created", "edited", "html"}
PAPER_FIELDS = {
    "key", "title", "authors", "year", "venue", "venue_name", "arxiv_id", "doi", "keywords",
    "url", "summary_count",
}  # fmt: skip


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


@pytest.mark.parametrize(
    "identifier",
    ["conf/nips/RenHGS15", "1506.01497", "arXiv:1506.01497v3", "DBLP:conf/nips/RenHGS15"],
)
def test_paper_by_key_or_arxiv_id_with_its_public_summaries(client, summary, identifier):
    data = get_json(client, f"/api/papers/{identifier}/")
    assert set(data) == PAPER_FIELDS | {"summaries"}
    assert data["key"] == "conf/nips/RenHGS15"
    assert data["arxiv_id"] == "1506.01497"
    assert data["authors"][:2] == ["Shaoqing Ren", "Kaiming He"]
    assert data["venue"] == {"key": "conf/nips", "name": "Neural Information Processing Systems"}
    assert data["summary_count"] == 1
    assert data["url"].endswith("/paper/conf/nips/RenHGS15/")
    [entry] = data["summaries"]
    assert set(entry) == SUMMARY_FIELDS
    assert entry["author"]["username"] == "alice"
    assert entry["author"]["name"] == "Alice Liddell"
    assert entry["score"] == 0 and entry["anonymous"] is False
    assert "The RPN proposes boxes" in entry["html"]


def test_summaries_come_best_first_with_their_scores(client, paper, author, stranger):
    make_summary(paper, author, "ok")
    better = make_summary(paper, stranger, "better")
    better.score = 4
    better.save()
    data = get_json(client, "/api/papers/1506.01497/")
    assert [s["score"] for s in data["summaries"]] == [4, 0]


def test_arxiv_paper_without_a_public_summary_is_404(client, paper, author):
    assert get_json(client, "/api/papers/1506.01497/", status=404) == {
        "error": "No public summary of this paper yet."
    }
    make_summary(paper, author, "mine only", is_private=True)
    get_json(client, "/api/papers/1506.01497/", status=404)
    get_json(client, "/api/papers/9999.99999/", status=404)


def test_summaries_by_paper_lists_public_ones(client, paper, author, stranger):
    make_summary(paper, author, "public")
    make_summary(paper, stranger, "private", is_private=True)
    data = get_json(client, "/api/papers/conf/nips/RenHGS15/summaries/")
    assert set(data) == {"paper", "summaries"}
    assert set(data["paper"]) == PAPER_FIELDS
    assert [s["html"] for s in data["summaries"]] == ["<p>public</p>"]
    assert get_json(client, "/api/papers/conf/nips/Nope/summaries/", status=404)


def test_latest_summaries_are_newest_first_and_paginated(client, venue, settings):
    settings.PAGE_SIZE = 2
    for i in range(3):
        summary = make_summary(make_paper(f"conf/nips/P{i}", venue=venue, title=f"P{i}"),
                               User.objects.create_user(f"w{i}"), f"number {i}")  # fmt: skip
        summary.edited = timezone.now() + timezone.timedelta(minutes=i)
        summary.save()
    first = get_json(client, "/api/summaries/latest/")
    assert [s["paper"]["title"] for s in first["summaries"]] == ["P2", "P1"]
    assert set(first["summaries"][0]) == SUMMARY_FIELDS | {"paper"}
    assert (first["page"], first["pages"]) == (1, 2)
    assert first["next"].endswith("/api/summaries/latest/?page=2")
    second = get_json(client, "/api/summaries/latest/?page=2")
    assert [s["paper"]["title"] for s in second["summaries"]] == ["P0"]
    assert second["next"] is None
    get_json(client, "/api/summaries/latest/?page=7", status=404)


def test_api_never_shows_private_hidden_deleted_or_who_wrote_anonymously(
    client, paper, author, stranger, moderator
):
    make_summary(paper, author, "anonymous words", is_anonymous=True)
    make_summary(paper, stranger, "hidden words", state="hidden")
    make_summary(paper, moderator, "deleted words", deleted_at=timezone.now())
    other = make_paper("conf/nips/Other", title="Other")
    make_summary(other, author, "private words", is_private=True)
    for url in (
        "/api/papers/1506.01497/",
        "/api/papers/conf/nips/RenHGS15/summaries/",
        "/api/summaries/latest/",
    ):
        body = client.get(url).content.decode()
        for secret in ("hidden words", "deleted words", "private words", "alice", "Liddell"):
            assert secret not in body, (url, secret)
    data = get_json(client, "/api/papers/1506.01497/")
    assert data["summary_count"] == 1
    [entry] = data["summaries"]
    assert entry["author"] is None and entry["anonymous"] is True
    assert "#summary-" in entry["url"]
    get_json(client, "/api/papers/conf/nips/Other/", status=404)


def test_api_is_read_only(client, summary):
    assert client.post("/api/papers/1506.01497/").status_code == 405
    assert (
        client.get("/api/")
        .json()["endpoints"]["latest_summaries"]
        .endswith("/api/summaries/latest/")
    )


@pytest.mark.parametrize("count", [1, 30])
def test_latest_api_query_count_is_constant(client, venue, count, django_assert_max_num_queries):
    for i in range(count):
        paper = make_paper(f"conf/nips/P{i}", venue=venue)
        paper.set_keywords(["cs.LG"])
        make_summary(paper, User.objects.create_user(f"w{i}"))
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/summaries/latest/?page=1").json()["summaries"]) == min(
            count, 20
        )
