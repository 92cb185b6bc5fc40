import pytest

from accounts.models import User
from accounts.tokens import unsubscribe_token
from summaries.models import Comment
from tests.conftest import make_summary


@pytest.fixture
def confirmed(author, stranger):
    User.objects.filter(pk__in=[author.pk, stranger.pk]).update(email_confirmed=True)


def _comment(client, summary, text):
    return client.post(f"/summaries/{summary.pk}/comments/", {"source": text})


def test_reader_comments_with_math_and_the_count_shows(client, summary, stranger):
    client.force_login(stranger)
    response = _comment(client, summary, "Nice, but what about $x_1$? **Really.**")
    comment = Comment.objects.get()
    assert response["Location"] == f"/paper/conf/nips/RenHGS15/#comment-{comment.pk}"
    page = client.get(summary.paper.get_absolute_url()).content.decode()
    assert "<strong>Really.</strong>" in page
    assert "1 comment<" in page
    assert f'id="comment-{comment.pk}"' in page
    assert "2 comments" in (_comment(client, summary, "again") and client.get("/")).content.decode()


def test_comments_are_rendered_without_headings_or_images(client, summary, stranger, monkeypatch):
    from summaries import rendering

    calls = []
    real = rendering.render_markdown

    def spy(source, **options):
        calls.append(options)
        return real(source, **options)

    monkeypatch.setattr(rendering, "render_markdown", spy)
    client.force_login(stranger)
    _comment(client, summary, "# Big\n\n![x](https://example.org/x.png)")
    assert calls[-1]["allow_headings"] is False
    assert calls[-1]["allow_images"] is False
    assert "<h1" not in Comment.objects.get().html


def test_guest_cannot_comment(client, summary):
    response = _comment(client, summary, "hello")
    assert response["Location"].startswith("/accounts/login/")
    assert not Comment.objects.exists()


def test_no_comments_on_private_summaries(client, paper, author, stranger):
    private = make_summary(paper, author, "mine", is_private=True)
    client.force_login(author)
    assert _comment(client, private, "note to self").status_code == 403


def test_empty_comment_is_refused_and_the_form_comes_back(client, summary, stranger):
    client.force_login(stranger)
    response = _comment(client, summary, "   ")
    assert response.status_code == 400
    assert "A comment needs some text." in response.content.decode()


def test_comment_rate_limit_has_a_clear_message(client, summary, stranger, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "comment": (1, 3600, "comments")}
    client.force_login(stranger)
    _comment(client, summary, "one")
    response = _comment(client, summary, "two, kept in the form")
    assert response.status_code == 429
    page = response.content.decode()
    assert "limit of 1 comments in an hour" in page
    assert "two, kept in the form" in page
    assert Comment.objects.count() == 1


def test_author_soft_deletes_their_comment_and_the_count_drops(client, summary, stranger):
    client.force_login(stranger)
    _comment(client, summary, "regrettable")
    comment = Comment.objects.get()
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 302
    comment.refresh_from_db()
    summary.refresh_from_db()
    assert comment.deleted_at is not None
    assert summary.comment_count == 0
    assert "regrettable" not in client.get(summary.paper.get_absolute_url()).content.decode()


@pytest.mark.parametrize("who", ["guest", "summary_author", "moderator"])
def test_only_the_commenter_deletes_a_comment(client, summary, stranger, author, moderator, who):
    comment = Comment.objects.create(summary=summary, author=stranger, source="mine")
    if who != "guest":
        client.force_login(author if who == "summary_author" else moderator)
    response = client.post(f"/comments/{comment.pk}/delete/")
    assert response.status_code == (302 if who == "guest" else 403)
    comment.refresh_from_db()
    assert comment.deleted_at is None


def test_writer_and_earlier_commenters_are_emailed_but_not_the_commenter(
    client, summary, author, stranger, confirmed, mailoutbox, django_capture_on_commit_callbacks
):
    third = User.objects.create_user("carol", "carol@example.org", email_confirmed=True)
    client.force_login(stranger)
    with django_capture_on_commit_callbacks(execute=True):
        _comment(client, summary, "first comment")
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]
    client.force_login(third)
    with django_capture_on_commit_callbacks(execute=True):
        _comment(client, summary, "second comment")
    recipients = sorted(m.to[0] for m in mailoutbox[1:])
    assert recipients == ["alice@example.org", "mallory@example.org"]
    email = mailoutbox[-1]
    assert "second comment" in email.body
    assert "/accounts/unsubscribe/" in email.body
    assert "List-Unsubscribe" in email.extra_headers


def test_unsubscribe_link_stops_comment_emails(
    client, summary, author, stranger, confirmed, mailoutbox, django_capture_on_commit_callbacks
):
    url = f"/accounts/unsubscribe/{unsubscribe_token(author)}/"
    assert "Stop comment e-mails" in client.get(url).content.decode()
    author.refresh_from_db()
    assert author.email_on_comments  # opening the link changes nothing
    assert "we will not e-mail" in client.post(url).content.decode()
    author.refresh_from_db()
    assert not author.email_on_comments
    client.force_login(stranger)
    with django_capture_on_commit_callbacks(execute=True):
        _comment(client, summary, "hello")
    assert mailoutbox == []
    assert client.get("/accounts/unsubscribe/forged/").status_code == 404


def test_anonymous_writer_is_not_named_in_emails_to_other_commenters(
    client, paper, author, stranger, confirmed, mailoutbox, django_capture_on_commit_callbacks
):
    summary = make_summary(paper, author, "nameless", is_anonymous=True)
    third = User.objects.create_user("carol", "carol@example.org", email_confirmed=True)
    client.force_login(stranger)
    _comment(client, summary, "first")
    client.force_login(third)
    with django_capture_on_commit_callbacks(execute=True):
        _comment(client, summary, "second")
    to_mallory = [m for m in mailoutbox if m.to == ["mallory@example.org"]][0]
    assert "Alice" not in to_mallory.body and "alice" not in to_mallory.body


def test_anonymous_writer_commenting_on_their_summary_stays_anonymous(
    client, paper, author, stranger, confirmed, mailoutbox, django_capture_on_commit_callbacks
):
    summary = make_summary(paper, author, "nameless", is_anonymous=True)
    client.force_login(stranger)
    _comment(client, summary, "a question")
    client.force_login(author)
    with django_capture_on_commit_callbacks(execute=True):
        _comment(client, summary, "an answer from the writer")
    client.logout()
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "The summary&#x27;s writer" in page or "The summary's writer" in page
    assert "Alice" not in page and "/user/alice/" not in page
    assert "Alice" not in mailoutbox[-1].body and "The summary's writer" in mailoutbox[-1].body
