"""Readers report summaries and comments; reports land in the moderators' queue."""

from summaries.models import Comment, Report
from tests.conftest import make_summary


def test_reader_reports_a_summary_and_the_queue_shows_it(client, summary, stranger, moderator):
    client.force_login(stranger)
    page = client.get(summary.paper.get_absolute_url()).content.decode()
    assert f'href="/summaries/{summary.pk}/report/"' in page
    form = client.get(f"/summaries/{summary.pk}/report/")
    assert form.status_code == 200 and "Copied from elsewhere" in form.content.decode()
    response = client.post(
        f"/summaries/{summary.pk}/report/", {"reason": "plagiarism", "text": "Same as a blog post."}
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.summary, report.reporter, report.reason) == (summary, stranger, "plagiarism")
    assert "the moderators will look at it" in client.get(response["Location"]).content.decode()
    client.force_login(moderator)
    assert "Same as a blog post." in client.get("/admin/summaries/report/").content.decode()


def test_reporting_twice_updates_the_open_report(client, summary, stranger):
    client.force_login(stranger)
    client.post(f"/summaries/{summary.pk}/report/", {"reason": "spam"})
    client.post(f"/summaries/{summary.pk}/report/", {"reason": "abuse", "text": "and rude"})
    assert list(Report.objects.values_list("reason", "text")) == [("abuse", "and rude")]


def test_reader_reports_a_comment(client, summary, author, stranger):
    comment = Comment.objects.create(summary=summary, author=author, source="rude words")
    client.force_login(stranger)
    page = client.get(summary.paper.get_absolute_url()).content.decode()
    assert f'href="/comments/{comment.pk}/report/"' in page
    client.post(f"/comments/{comment.pk}/report/", {"reason": "abuse"})
    assert Report.objects.get().comment == comment


def test_guests_writers_and_banned_users_cannot_report(client, summary, author, stranger):
    url = f"/summaries/{summary.pk}/report/"
    assert client.post(url, {"reason": "spam"}).status_code == 302  # to the log-in page
    client.force_login(author)
    assert client.post(url, {"reason": "spam"}).status_code == 403
    stranger.banned_at = stranger.date_joined
    stranger.save()
    client.force_login(stranger)
    assert client.post(url, {"reason": "spam"}).status_code in (302, 403)
    assert not Report.objects.exists()


def test_private_summaries_cannot_be_reported_by_others(client, paper, author, stranger):
    private = make_summary(paper, author, "mine", is_private=True)
    client.force_login(stranger)
    assert client.get(f"/summaries/{private.pk}/report/").status_code == 404


def test_a_report_needs_a_reason_and_changes_nothing_without_one(client, summary, stranger):
    client.force_login(stranger)
    response = client.post(f"/summaries/{summary.pk}/report/", {"reason": "", "text": "x"})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_reporting_without_a_csrf_token_is_refused(summary, stranger):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(stranger)
    assert client.post(f"/summaries/{summary.pk}/report/", {"reason": "spam"}).status_code == 403
    assert not Report.objects.exists()
