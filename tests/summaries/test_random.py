from django.utils import timezone

from summaries.models import Summary
from tests.conftest import make_paper, make_summary


def test_random_redirects_to_a_public_summary_on_its_paper_page(client, summary):
    response = client.get("/random/")
    assert response.status_code == 302
    assert response["Location"] == "/paper/conf/nips/RenHGS15/#alice"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_random_never_lands_on_summaries_that_are_not_public(client, paper, author, stranger):
    make_summary(paper, author, "private", is_private=True)
    make_summary(make_paper("conf/x/B"), stranger, "hidden", state="hidden")
    assert client.get("/random/").status_code == 404
    public = make_summary(make_paper("conf/x/C", title="C"), author, "public")
    for _ in range(10):
        assert client.get("/random/")["Location"] == "/paper/conf/x/C/#alice"
    assert public.is_public


def test_random_reaches_every_public_summary_and_uses_no_order_by_random(
    paper, author, stranger, moderator, django_assert_max_num_queries
):
    make_summary(paper, author)
    make_summary(paper, stranger)
    make_summary(paper, moderator, deleted_at=timezone.now())
    seen = set()
    for _ in range(60):
        with django_assert_max_num_queries(3) as captured:
            seen.add(Summary.objects.public().pick_random().author.username)
        assert all("RANDOM()" not in q["sql"].upper() for q in captured.captured_queries)
    assert seen == {"alice", "mallory"}
