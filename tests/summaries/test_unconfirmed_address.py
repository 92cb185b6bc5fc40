"""An account whose e-mail address is not confirmed yet may write drafts and private summaries,
but not publish, comment or vote; each page where that applies says so."""

import pytest

from accounts.models import User
from summaries.models import Comment, Summary, Vote

pytestmark = pytest.mark.django_db

WRITE = "/paper/conf/nips/RenHGS15/write/"


@pytest.fixture
def newcomer(db):
    return User.objects.create_user("newbie", "newbie@example.org", "correct horse battery")


def test_unconfirmed_writer_cannot_publish_but_keeps_the_text(client, paper, newcomer):
    client.force_login(newcomer)
    editor = client.get(WRITE).content.decode()
    assert "Until you confirm your e-mail address you can save this summary as private" in editor
    response = client.post(WRITE, {"source": "My public thoughts.", "save": "1"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "publishing needs a confirmed e-mail address" in page
    assert "My public thoughts." in page  # still in the editor
    assert not Summary.objects.filter(author=newcomer).exists()


def test_unconfirmed_writer_can_save_a_private_summary(client, paper, newcomer):
    client.force_login(newcomer)
    response = client.post(WRITE, {"source": "Notes for me.", "is_private": "on", "save": "1"})
    assert response.status_code == 302
    saved = Summary.objects.get(author=newcomer)
    assert saved.is_private and saved.source == "Notes for me."


def test_unconfirmed_account_cannot_comment_and_is_told_why(client, summary, newcomer):
    client.force_login(newcomer)
    page = client.get(summary.paper.get_absolute_url()).content.decode()
    assert "To comment, confirm your e-mail address" in page
    assert 'name="source"' not in page.split(f'id="comments-{summary.pk}"', 1)[1]
    response = client.post(f"/summaries/{summary.pk}/comments/", {"source": "First!"}, follow=True)
    assert "commenting needs it" in response.content.decode()
    assert not Comment.objects.exists()


def test_unconfirmed_account_cannot_vote_and_is_told_why(client, summary, newcomer):
    client.force_login(newcomer)
    page = client.get(summary.paper.get_absolute_url()).content.decode()
    assert "Confirm your e-mail address to publish, comment and vote" in page
    response = client.post(
        f"/summaries/{summary.pk}/vote/", {"value": "1"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 403
    assert "voting needs it" in response.json()["error"]
    assert not Vote.objects.exists()
    summary.refresh_from_db()
    assert summary.score == 0


def test_once_confirmed_the_same_account_publishes_comments_and_votes(client, summary, newcomer):
    User.objects.filter(pk=newcomer.pk).update(email_confirmed=True)
    client.force_login(newcomer)
    assert client.post(f"/summaries/{summary.pk}/vote/", {"value": "1"}).status_code == 302
    assert client.post(f"/summaries/{summary.pk}/comments/", {"source": "Hi"}).status_code == 302
    response = client.post(WRITE, {"source": "Now public.", "save": "1"})
    assert response.status_code == 302
    assert Summary.objects.get(author=newcomer).is_public
    assert Vote.objects.filter(user=newcomer).count() == 1
    assert Comment.objects.filter(author=newcomer).count() == 1
