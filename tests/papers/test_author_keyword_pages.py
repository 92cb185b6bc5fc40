import pytest
from django.utils import timezone

from accounts.models import User
from tests.conftest import make_paper, make_summary


def test_author_page_lists_their_papers_newest_first_with_summary_counts(client, summary):
    make_paper("conf/cvpr/HeZRS16", year=2016, title="Deep Residual Learning",
               authors=["Kaiming He", "Jian Sun"])  # fmt: skip
    make_paper("conf/other/X", year=2016, title="Someone else's", authors=["Other Person"])
    response = client.get("/author/kaiming-he/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Kaiming He</h1>" in page
    assert page.index("Deep Residual Learning") < page.index("Faster R-CNN")
    assert "Someone else" not in page
    assert "1 summary" in page and "No summary yet" in page
    assert "<title>Kaiming He · ShortScience</title>" in page
    assert '<link rel="canonical" href="http://127.0.0.1:8000/author/kaiming-he/">' in page


def test_author_summary_counts_ignore_summaries_that_are_not_public(client, paper, stranger):
    make_summary(paper, stranger, "private", is_private=True)
    make_summary(paper, User.objects.create_user("x"), "gone", deleted_at=timezone.now())
    assert "No summary yet" in client.get("/author/shaoqing-ren/").content.decode()


def test_unknown_author_is_404(client, db):
    assert client.get("/author/nobody-at-all/").status_code == 404


def test_paper_pages_link_authors_and_keywords(client, summary):
    summary.paper.set_keywords(["cs.CV"])
    page = client.get(summary.paper.get_absolute_url()).content.decode()
    assert '<a href="/author/ross-girshick/">Ross Girshick</a>' in page
    assert '<a href="/keyword/cs.CV/">cs.CV</a>' in page


def test_keyword_page_lists_public_summaries_of_papers_with_that_keyword(client, summary, stranger):
    summary.paper.set_keywords(["cs.CV", "dblp"])
    other = make_paper("conf/x/Other", title="Unrelated paper")
    other.set_keywords(["cs.CL"])
    make_summary(other, stranger, "Not about vision")
    secret = make_paper("conf/x/Secret", title="Secret paper")
    secret.set_keywords(["cs.CV"])
    make_summary(secret, stranger, "private vision notes", is_private=True)
    response = client.get("/keyword/cs.CV/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Keyword: cs.CV" in page
    assert "The RPN proposes boxes" in page
    assert "Not about vision" not in page and "private vision notes" not in page
    assert client.get("/keyword/dblp/").status_code == 200
    assert client.get("/keyword/nothing/").status_code == 404


@pytest.mark.parametrize("count", [1, 30])
def test_author_and_keyword_pages_query_count_is_constant(
    client, venue, count, django_assert_max_num_queries
):
    for i in range(count):
        paper = make_paper(f"conf/nips/P{i}", venue=venue, authors=["Same Person", f"Co {i}"])
        paper.set_keywords(["cs.LG"])
        make_summary(paper, User.objects.create_user(f"w{i}"), f"Summary {i}")
    with django_assert_max_num_queries(8):
        assert client.get("/author/same-person/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/keyword/cs.LG/").status_code == 200
