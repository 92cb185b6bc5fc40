import pytest

from accounts.models import User
from tests.conftest import make_paper, make_summary


def test_profile_shows_public_summaries_only_to_others(client, paper, author):
    make_summary(paper, author, "public words")
    make_summary(make_paper("conf/x/Private"), author, "private words", is_private=True)
    make_summary(make_paper("conf/x/Anon"), author, "anonymous words", is_anonymous=True)
    page = client.get("/user/alice/").content.decode()
    assert "<h1>Alice Liddell</h1>" in page
    assert "public words" in page
    assert "private words" not in page
    assert "anonymous words" not in page
    client.force_login(author)
    own = client.get("/user/alice/").content.decode()
    assert "private words" in own and "anonymous words" in own


def test_profile_url_is_case_insensitive_and_canonical(client, author):
    response = client.get("/user/ALICE/")
    assert (response.status_code, response["Location"]) == (301, "/user/alice/")
    assert client.get("/user/nobody/").status_code == 404


def test_usernames_are_unique_regardless_of_case(author):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        User.objects.create_user("Alice")


def test_writers_page_lists_people_by_reputation(client, paper, author, stranger):
    make_summary(paper, author)
    make_summary(make_paper("conf/x/Two"), stranger)
    User.objects.filter(pk=stranger.pk).update(reputation=4.5)
    page = client.get("/users/").content.decode()
    assert page.index("mallory") < page.index("Alice Liddell")


@pytest.mark.parametrize("count", [1, 30])
def test_profile_and_writers_query_count_is_constant(
    client, author, count, django_assert_max_num_queries
):
    for i in range(count):
        make_summary(make_paper(f"conf/x/P{i}"), author)
        make_summary(make_paper(f"conf/y/P{i}"), User.objects.create_user(f"w{i}"))
    with django_assert_max_num_queries(8):
        assert client.get("/user/alice/").status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get("/users/").status_code == 200
