"""Follow what matters and hear when it happens: follows, the inbox, e-mails and digests."""

import re

import pytest
from django.core import mail

from accounts.models import OutgoingMessage, User
from papers.models import Keyword
from summaries import notices
from summaries.models import Follow, Notice, NoticeSettings
from summaries.writing import save_summary
from tests.conftest import make_paper


@pytest.fixture
def reader(db):
    return User.objects.create_user(
        "reader", "reader@example.org", "correct horse battery", email_confirmed=True
    )


def _write(paper, author, *, anonymous=False, private=False, source="A new summary."):
    return save_summary(
        paper=paper,
        author=author,
        source=source,
        is_private=private,
        is_anonymous=anonymous,
        base_revision_id=None,
    )


def _follow(client, kind, value, **extra):
    return client.post("/follow/", {"kind": kind, "value": value, **extra})


def test_following_a_paper_brings_its_new_summary_to_the_inbox_and_by_email(
    client, reader, author, venue
):
    paper = make_paper(venue=venue)
    client.force_login(reader)
    response = _follow(client, "paper", paper.pk, next=paper.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == paper.get_absolute_url()
    assert Follow.objects.get(user=reader).target == f"paper:{paper.pk}"
    mail.outbox.clear()

    _write(paper, author)

    page = client.get("/").content.decode()
    assert re.search(r"Inbox <span class=\"badge\"[^>]*>1<", page)
    inbox = client.get("/inbox/").content.decode()
    assert f"New summary of “{paper.title}” by Alice Liddell" in inbox
    assert "because of papers you follow" in inbox
    assert ">Inbox</a>" in client.get("/").content.decode()  # read once shown
    [email] = mail.outbox
    assert email.to == ["reader@example.org"] and paper.title in email.subject
    assert "Written by Alice Liddell" in email.body
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert OutgoingMessage.objects.get(kind="notice").status == "sent"


def test_follow_writer_venue_keyword_and_search_each_bring_one_notice(
    client, reader, author, venue
):
    paper = make_paper(venue=venue, title="Graph neural networks for molecules")
    paper.set_keywords(["cs.LG"])
    keyword = Keyword.objects.get(name="cs.LG")
    client.force_login(reader)
    for kind, value in [
        ("writer", author.pk),
        ("venue", venue.pk),
        ("keyword", keyword.pk),
        ("search", "  Graph   NEURAL "),
    ]:
        assert _follow(client, kind, value).status_code == 302
    assert Follow.objects.filter(user=reader).count() == 4
    assert Follow.objects.filter(target="search:graph neural").exists()
    listing = client.get("/following/").content.decode()
    for label in ["Alice Liddell", "cs.LG", "“graph neural”", "Saved search:"]:
        assert label in listing
    mail.outbox.clear()
    _write(paper, author)
    assert Notice.objects.filter(user=reader).count() == 1  # one event, one notice
    assert Notice.objects.get(user=reader).reason == "writer"
    assert len(mail.outbox) == 1


def test_a_saved_search_hears_of_matching_papers_only(client, reader, author):
    matching = make_paper("conf/x/A", title="Diffusion models explained")
    other = make_paper("conf/x/B", title="Something else entirely")
    client.force_login(reader)
    _follow(client, "search", "diffusion models")
    _write(other, author)
    assert not Notice.objects.filter(user=reader).exists()
    _write(matching, author)
    assert Notice.objects.get(user=reader).paper == matching


def test_an_anonymous_summary_never_reveals_its_writer(client, reader, stranger, author):
    paper = make_paper()
    client.force_login(reader)
    _follow(client, "writer", author.pk)
    _follow(client, "paper", paper.pk)
    client.force_login(stranger)
    _follow(client, "writer", author.pk)  # follows only the writer
    mail.outbox.clear()

    summary = _write(paper, author, anonymous=True, source="Secret thoughts.")

    # The writer's followers hear nothing (that alone would unmask the writer).
    assert not Notice.objects.filter(user=stranger).exists()
    # The paper's follower hears of it, and nothing names the writer.
    notice = Notice.objects.get(user=reader)
    assert notice.reason == "paper"
    client.force_login(reader)
    inbox = client.get("/inbox/").content.decode()
    assert "by Anonymous" in inbox
    for leak in ["Alice", "alice"]:
        assert leak not in inbox.split("<main", 1)[-1]
    [email] = mail.outbox
    assert email.to == ["reader@example.org"]
    assert "Alice" not in email.body and "alice" not in email.body.lower()
    assert "Alice" not in email.subject and f"#summary-{summary.pk}" in email.body
    assert "alice" not in str(email.message()).lower()


def test_a_summary_made_anonymous_later_drops_from_writer_followers_inboxes(client, reader, author):
    paper = make_paper()
    client.force_login(reader)
    _follow(client, "writer", author.pk)
    summary = _write(paper, author)
    assert "Alice Liddell" in client.get("/inbox/").content.decode()
    save_summary(
        paper=paper,
        author=author,
        source=summary.source,
        is_private=False,
        is_anonymous=True,
        base_revision_id=summary.current_revision_id(),
    )
    inbox = client.get("/inbox/").content.decode()
    assert "Nothing yet" in inbox and "Alice" not in inbox.split("<main", 1)[-1]


def test_private_summaries_notify_no_one(client, reader, author):
    paper = make_paper()
    client.force_login(reader)
    _follow(client, "paper", paper.pk)
    _write(paper, author, private=True)
    assert not Notice.objects.exists()


def test_nothing_is_emailed_to_an_unconfirmed_address(client, reader, author):
    User.objects.filter(pk=reader.pk).update(email_confirmed=False)
    paper = make_paper()
    client.force_login(reader)
    _follow(client, "paper", paper.pk)
    mail.outbox.clear()
    _write(paper, author)
    assert Notice.objects.get(user=reader).email == "skipped"
    assert mail.outbox == []
    assert "not confirmed" in client.get("/following/").content.decode()


def test_a_new_comment_reaches_the_papers_followers(
    client, reader, author, stranger, django_capture_on_commit_callbacks
):
    paper = make_paper()
    summary = _write(paper, author)
    client.force_login(reader)
    _follow(client, "paper", paper.pk)
    client.force_login(stranger)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/summaries/{summary.pk}/comments/", {"source": "Nice one."})
    notice = Notice.objects.get(user=reader)
    assert notice.kind == "comment"
    client.force_login(reader)
    assert "New comment by mallory" in client.get("/inbox/").content.decode()
    assert not Notice.objects.filter(user=stranger).exists()  # not told of their own comment


def test_one_click_unsubscribe_stops_one_kind_of_email(client, reader, author):
    paper = make_paper()
    other = make_paper("conf/x/Other")
    client.force_login(reader)
    _follow(client, "paper", paper.pk)
    _follow(client, "writer", author.pk)
    mail.outbox.clear()
    _write(paper, author)
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.logout()
    # A mail client's one-click POST carries no CSRF token and no session.
    client.handler.enforce_csrf_checks = True
    response = client.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Done" in response.content.decode()
    assert NoticeSettings.objects.get(user=reader).muted == ["paper"]
    mail.outbox.clear()
    _write(other, author)  # a writer notice still comes
    assert len(mail.outbox) == 1
    assert client.post("/notices/unsubscribe/forged/").status_code == 404


def test_digests_collect_waiting_notices_into_one_email(client, reader, author, stranger):
    NoticeSettings.objects.create(user=reader, frequency="daily")
    client.force_login(reader)
    _follow(client, "writer", author.pk)
    _follow(client, "writer", stranger.pk)
    mail.outbox.clear()
    first = make_paper("conf/x/One", title="The first paper")
    second = make_paper("conf/x/Two", title="The second paper")
    _write(first, author)
    _write(second, stranger)
    assert mail.outbox == []
    assert set(Notice.objects.values_list("email", flat=True)) == {"pending"}

    from django.core.management import call_command

    call_command("send_digests", "weekly")
    assert mail.outbox == []
    call_command("send_digests", "daily")
    [digest] = mail.outbox
    assert "2 new" in digest.subject
    assert "The first paper" in digest.body and "The second paper" in digest.body
    assert "List-Unsubscribe" in digest.extra_headers
    call_command("send_digests", "daily")
    assert len(mail.outbox) == 1  # nothing twice


def test_notice_settings_are_saved(client, reader):
    client.force_login(reader)
    response = client.post(
        "/following/settings/", {"frequency": "weekly", "muted": ["keyword", "search"]}
    )
    assert response.status_code == 302
    saved = NoticeSettings.objects.get(user=reader)
    assert (saved.frequency, saved.muted) == ("weekly", ["keyword", "search"])
    bad = client.post("/following/settings/", {"frequency": "hourly"})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()


def test_follows_are_private(client, reader, author, stranger):
    paper = make_paper()
    client.force_login(reader)
    _follow(client, "paper", paper.pk)
    client.force_login(stranger)
    page = client.get("/following/").content.decode()
    assert "You follow nothing yet" in page and paper.title not in page
    client.logout()
    assert client.get("/following/").status_code == 302
    assert client.get("/inbox/").status_code == 302
    assert _follow(client, "paper", paper.pk).status_code == 302
    assert Follow.objects.count() == 1


def test_follows_are_rate_limited(client, reader, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "follow": (2, 3600, "follows")}
    papers = [make_paper(f"conf/x/P{n}") for n in range(3)]
    client.force_login(reader)
    for paper in papers:
        response = _follow(client, "paper", paper.pk)
    assert Follow.objects.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "You have reached the limit of 2 follows" in page


def test_you_cannot_follow_yourself_or_nothing(client, reader):
    client.force_login(reader)
    _follow(client, "writer", reader.pk)
    assert not Follow.objects.exists()
    assert _follow(client, "paper", 999999).status_code == 404
    assert _follow(client, "bogus", 1).status_code == 404


def test_inbox_and_following_pages_have_constant_queries(
    client, reader, author, django_assert_max_num_queries
):
    client.force_login(reader)

    def add(n):
        for i in range(n):
            paper = make_paper(f"conf/q/P{Follow.objects.count()}-{i}")
            _follow(client, "paper", paper.pk)
            _write(paper, author)

    add(1)
    with django_assert_max_num_queries(9):
        assert client.get("/inbox/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get("/following/").status_code == 200
    add(12)
    with django_assert_max_num_queries(9):
        assert client.get("/inbox/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get("/following/").status_code == 200


def test_fan_out_goes_in_batches(reader, author, monkeypatch):
    monkeypatch.setattr(notices, "BATCH_SIZE", 3)
    paper = make_paper()
    people = [
        User.objects.create_user(f"f{n}", f"f{n}@example.org", "x", email_confirmed=True)
        for n in range(7)
    ]
    for person in people:
        Follow.objects.create(user=person, kind="paper", paper=paper, target=f"paper:{paper.pk}")
    mail.outbox.clear()
    _write(paper, author)
    assert Notice.objects.count() == 7 and len(mail.outbox) == 7
    assert OutgoingMessage.objects.filter(kind="notice", status="sent").count() == 7


def test_a_digest_never_names_the_writer_of_an_anonymous_summary(client, reader, author):
    from django.core.management import call_command

    NoticeSettings.objects.create(user=reader, frequency="weekly")
    paper = make_paper(title="Quietly summarized")
    client.force_login(reader)
    _follow(client, "paper", paper.pk)
    mail.outbox.clear()
    _write(paper, author, anonymous=True)
    call_command("send_digests", "weekly")
    [digest] = mail.outbox
    assert "Quietly summarized" in digest.body
    assert "alice" not in str(digest.message()).lower()
