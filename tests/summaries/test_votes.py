import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.models import User
from summaries.models import Summary, Vote
from summaries.voting import cast_vote, recompute_reputation
from tests.conftest import make_paper, make_summary


def _vote(client, summary, value, **headers):
    return client.post(
        f"/summaries/{summary.pk}/vote/",
        {"value": value, "next": summary.get_absolute_url()},
        headers=headers,
    )


def test_reader_votes_up_then_down_then_clears(client, summary, stranger):
    client.force_login(stranger)
    assert _vote(client, summary, 1).status_code == 302
    summary.refresh_from_db()
    assert summary.score == 1
    page = client.get(summary.paper.get_absolute_url()).content.decode()
    assert "1 point<" in page
    assert 'aria-pressed="true"' in page
    _vote(client, summary, -1)
    summary.refresh_from_db()
    assert summary.score == -1
    _vote(client, summary, 0)
    summary.refresh_from_db()
    assert summary.score == 0
    assert not Vote.objects.exists()


def test_voting_twice_the_same_way_counts_once(client, summary, stranger):
    client.force_login(stranger)
    _vote(client, summary, 1)
    _vote(client, summary, 1)
    summary.refresh_from_db()
    assert summary.score == 1
    assert Vote.objects.count() == 1


def test_javascript_vote_answers_with_the_new_score(client, summary, stranger):
    client.force_login(stranger)
    response = _vote(client, summary, 1, x_requested_with="fetch")
    assert response.status_code == 200
    assert response.json() == {"score": 1, "vote": 1}


def test_writer_cannot_vote_on_their_own_summary(client, summary, author):
    client.force_login(author)
    assert "vote-form" not in client.get(summary.paper.get_absolute_url()).content.decode()
    response = _vote(client, summary, 1, x_requested_with="fetch")
    assert response.status_code == 403
    assert _vote(client, summary, 1).status_code == 302
    summary.refresh_from_db()
    assert summary.score == 0


def test_guest_vote_leads_to_log_in(client, summary):
    response = _vote(client, summary, 1)
    assert response["Location"].startswith("/accounts/login/")
    assert not Vote.objects.exists()


def test_moderator_votes_like_anyone_else(client, summary, moderator):
    client.force_login(moderator)
    _vote(client, summary, -1)
    summary.refresh_from_db()
    assert summary.score == -1


def test_votes_are_post_only_and_values_are_checked(client, summary, stranger):
    client.force_login(stranger)
    assert client.get(f"/summaries/{summary.pk}/vote/").status_code == 405
    assert _vote(client, summary, 5, x_requested_with="fetch").status_code == 400


def test_no_votes_on_private_summaries(client, paper, author, stranger):
    private = make_summary(paper, author, "mine", is_private=True)
    client.force_login(stranger)
    assert _vote(client, private, 1, x_requested_with="fetch").status_code == 403


def test_vote_rate_limit_answers_429_with_a_message(client, summary, stranger, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "vote": (2, 3600, "votes")}
    client.force_login(stranger)
    _vote(client, summary, 1, x_requested_with="fetch")
    _vote(client, summary, 0, x_requested_with="fetch")
    response = _vote(client, summary, 1, x_requested_with="fetch")
    assert response.status_code == 429
    assert "limit of 2 votes" in response.json()["error"]
    page = client.get(_vote(client, summary, 1)["Location"]).content.decode()
    assert "limit of 2 votes" in page


def test_a_vote_recomputes_hotness(summary, stranger):
    before = summary.hotness
    cast_vote(summary=summary, user=stranger, value=1)
    cast_vote(summary=summary, user=User.objects.create_user("x"), value=1)
    for i in range(8):
        cast_vote(summary=summary, user=User.objects.create_user(f"v{i}"), value=1)
    summary.refresh_from_db()
    assert summary.score == 10
    assert summary.hotness == pytest.approx(before + 1)


def test_stale_summary_objects_do_not_lose_votes(summary, stranger):
    other = User.objects.create_user("bob")
    stale_a = Summary.objects.get(pk=summary.pk)
    stale_b = Summary.objects.get(pk=summary.pk)
    cast_vote(summary=stale_a, user=stranger, value=1)
    result = cast_vote(summary=stale_b, user=other, value=1)
    assert result.score == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_keep_the_score_equal_to_the_sum_of_votes(venue):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers by locking the whole file")
    writer = User.objects.create_user("writer")
    summary = make_summary(make_paper(venue=venue), writer, "contended")
    voters = [User.objects.create_user(f"voter{i}") for i in range(12)]
    start = threading.Barrier(len(voters) + 2)
    errors = []

    def vote(user, value):
        try:
            start.wait()
            cast_vote(summary=summary, user=user, value=value)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote, args=(u, 1)) for u in voters]
    # The same voter twice at once must still count once.
    threads += [threading.Thread(target=vote, args=(voters[0], 1)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    summary.refresh_from_db()
    assert summary.score == 12
    assert Vote.objects.filter(summary=summary).count() == 12


def test_reputation_is_the_mean_of_settled_votes_on_public_signed_summaries(venue, author):
    first = make_summary(make_paper("a/1", venue=venue), author)
    second = make_summary(make_paper("a/2", venue=venue), author)
    anonymous = make_summary(make_paper("a/3", venue=venue), author, is_anonymous=True)
    old = timezone.now() - datetime.timedelta(days=3)
    voters = [User.objects.create_user(f"r{i}") for i in range(4)]
    for voter in voters[:3]:
        Vote.objects.create(summary=first, user=voter, value=1, created=old)
    Vote.objects.create(summary=second, user=voters[3], value=1, created=old)
    Vote.objects.create(summary=second, user=voters[0], value=1)  # too fresh to count
    Vote.objects.create(summary=anonymous, user=voters[0], value=1, created=old)
    recompute_reputation()
    author.refresh_from_db()
    assert author.reputation == 2.0  # (3 + 1) / 2


def test_update_reputations_command(venue, author):
    from io import StringIO

    from django.core.management import call_command

    summary = make_summary(make_paper(venue=venue), author)
    voter = User.objects.create_user("voter")
    Vote.objects.create(
        summary=summary, user=voter, value=-1, created=timezone.now() - datetime.timedelta(days=5)
    )
    out = StringIO()
    call_command("update_reputations", stdout=out)
    author.refresh_from_db()
    assert author.reputation == -1.0
    assert "Updated the reputation of 1 writer" in out.getvalue()


@pytest.mark.parametrize("count", [1, 30])
def test_list_pages_show_the_readers_votes_in_constant_queries(
    client, venue, stranger, count, settings, django_assert_max_num_queries
):
    settings.PAGE_SIZE = 100
    paper = make_paper(venue=venue)
    for i in range(count):
        writer = User.objects.create_user(f"w{i}")
        summary = make_summary(make_paper(f"conf/x/{i}", venue=venue), writer)
        Vote.objects.create(summary=summary, user=stranger, value=1)
        make_summary(paper, writer, f"on the paper {i}")
    client.force_login(stranger)
    with django_assert_max_num_queries(10):
        home = client.get("/").content.decode()
    assert home.count('aria-pressed="true"') == count
    with django_assert_max_num_queries(12):
        assert client.get(paper.get_absolute_url()).status_code == 200


def test_every_list_page_shows_the_readers_own_vote(client, venue, author, stranger):
    paper = make_paper("conf/nips/Voted20", venue=venue, title="A paper voted on", year=2020)
    paper.set_keywords(["cs.LG"])
    summary = make_summary(paper, author, "Worth reading.")
    Vote.objects.create(summary=summary, user=stranger, value=-1)
    client.force_login(stranger)
    for url in (
        "/",
        f"/venue/{venue.key}/",
        f"/venue/{venue.key}/2020/",
        "/year/2020/",
        "/keyword/cs.LG/",
        author.get_absolute_url(),
    ):
        page = client.get(url).content.decode()
        assert 'data-direction="-1" aria-pressed="true"' in page, url
