"""The Django admin as a moderation console: who may do what, and what readers see after."""

import pytest
from django.utils import timezone

from accounts.models import User
from papers.models import Paper, PaperAlias
from summaries.models import Comment, ModerationAction, Report, Revision, Summary, Vote
from tests.conftest import make_paper, make_summary

PUBLIC_PAGES = [
    "/",
    "/paper/conf/nips/RenHGS15/",
    "/venue/conf/nips/",
    "/venue/conf/nips/2015/",
    "/year/2015/",
    "/user/alice/",
]


def _act(client, model, action, pks, reason="", **extra):
    return client.post(
        f"/admin/summaries/{model}/" if model != "user" else "/admin/accounts/user/",
        {"action": action, "_selected_action": [str(pk) for pk in pks], "reason": reason, **extra},
    )


def _shown_anywhere(client, text):
    return [url for url in PUBLIC_PAGES if text in client.get(url).content.decode()]


def test_moderators_are_staff_in_a_group_not_superusers(moderator, client):
    assert moderator.is_staff and not moderator.is_superuser
    client.force_login(moderator)
    for url in [
        "/admin/",
        "/admin/summaries/summary/",
        "/admin/summaries/report/",
        "/admin/accounts/user/",
        "/admin/papers/paper/",
        "/admin/summaries/moderationaction/",
    ]:
        assert client.get(url).status_code == 200, url


def test_plain_user_and_guest_cannot_reach_the_console(client, stranger):
    assert client.get("/admin/summaries/summary/").status_code == 302
    client.force_login(stranger)
    assert client.get("/admin/summaries/summary/").status_code == 302


def test_hidden_summary_leaves_every_public_page_and_comes_back(client, summary, moderator):
    text = "The RPN proposes boxes"
    assert len(_shown_anywhere(client, text)) == len(PUBLIC_PAGES)
    client.force_login(moderator)
    response = _act(client, "summary", "hide_selected", [summary.pk], reason="Off-topic")
    assert response.status_code == 302
    summary.refresh_from_db()
    assert (summary.state, summary.moderation_reason) == ("hidden", "Off-topic")
    client.logout()
    assert _shown_anywhere(client, text) == []
    assert "The site has 0 public summaries" in client.get("/").content.decode()
    assert Paper.objects.get(pk=summary.paper_id).public_summary_count == 0

    # Its author still sees it, with the reason.
    client.force_login(summary.author)
    own = client.get(summary.paper.get_absolute_url()).content.decode()
    assert text in own and "Hidden by a moderator: Off-topic" in own

    client.force_login(moderator)
    _act(client, "summary", "restore_selected", [summary.pk])
    client.logout()
    assert len(_shown_anywhere(client, text)) == len(PUBLIC_PAGES)
    verbs = list(ModerationAction.objects.values_list("verb", "moderator__username", "reason"))
    assert verbs == [("restore", "mod", ""), ("hide", "mod", "Off-topic")]


def test_hiding_needs_a_reason_and_changes_nothing_without_one(client, summary, moderator):
    client.force_login(moderator)
    response = _act(client, "summary", "hide_selected", [summary.pk], reason="")
    assert response.status_code == 302
    summary.refresh_from_db()
    assert summary.state == "published"
    assert not ModerationAction.objects.exists()


def test_staff_without_moderator_rights_cannot_hide(client, summary):
    staff = User.objects.create_user("intern", is_staff=True)
    client.force_login(staff)
    response = _act(client, "summary", "hide_selected", [summary.pk], reason="because")
    assert response.status_code == 403
    summary.refresh_from_db()
    assert summary.state == "published"


def test_superuser_can_mark_spam(client, summary, superuser):
    client.force_login(superuser)
    _act(client, "summary", "mark_spam", [summary.pk], reason="Link farm")
    summary.refresh_from_db()
    assert summary.state == "spam"


def test_hidden_comment_is_restorable(client, summary, stranger, moderator):
    comment = Comment.objects.create(summary=summary, author=stranger, source="rude words")
    client.force_login(moderator)
    _act(client, "comment", "hide_selected", [comment.pk], reason="Abusive")
    comment.refresh_from_db()
    assert comment.state == "hidden"
    _act(client, "comment", "restore_selected", [comment.pk])
    comment.refresh_from_db()
    assert comment.state == "published"


def test_report_queue_puts_the_most_reported_first(client, summary, paper, stranger, moderator):
    other = make_summary(make_paper("conf/nips/Other"), stranger, "another summary")
    Report.objects.create(summary=other, reporter=stranger, reason="spam")
    reporters = [User.objects.create_user(f"r{i}") for i in range(3)]
    for reporter in reporters:
        Report.objects.create(summary=summary, reporter=reporter, reason="abuse")
    client.force_login(moderator)
    page = client.get("/admin/summaries/report/").content.decode()
    assert page.index("conf/nips/RenHGS15") < page.index("conf/nips/Other")
    report = Report.objects.filter(summary=summary).first()
    detail = client.get(f"/admin/summaries/report/{report.pk}/change/").content.decode()
    assert "The RPN proposes boxes" in detail


def test_hiding_from_the_queue_resolves_its_reports(client, summary, stranger, moderator):
    report = Report.objects.create(summary=summary, reporter=stranger, reason="spam")
    client.force_login(moderator)
    _act(client, "report", "hide_content", [report.pk])
    summary.refresh_from_db()
    report.refresh_from_db()
    assert summary.state == "hidden" and summary.moderation_reason == "Spam or advertising"
    assert report.resolved_by == moderator
    assert "conf/nips/RenHGS15" not in client.get("/admin/summaries/report/").content.decode()


def test_dismissing_a_report_leaves_the_content_alone(client, summary, stranger, moderator):
    report = Report.objects.create(summary=summary, reporter=stranger, reason="wrong")
    client.force_login(moderator)
    _act(client, "report", "dismiss", [report.pk], reason="Looks fine")
    report.refresh_from_db()
    summary.refresh_from_db()
    assert report.resolved_at and report.resolution == "Dismissed: Looks fine"
    assert summary.state == "published"


def test_banning_from_the_queue_ends_the_authors_session(client, summary, stranger, moderator):
    report = Report.objects.create(summary=summary, reporter=stranger, reason="abuse")
    author_client = type(client)()
    author_client.force_login(summary.author)
    client.force_login(moderator)
    _act(client, "report", "ban_author", [report.pk], reason="Repeated abuse")
    summary.author.refresh_from_db()
    assert summary.author.is_banned and summary.author.ban_reason == "Repeated abuse"
    assert not author_client.get("/").wsgi_request.user.is_authenticated
    assert not author_client.login(username="alice", password="correct horse battery")


def test_ban_and_hide_all_content_then_unban(client, summary, author, stranger, moderator):
    comment = Comment.objects.create(summary=summary, author=author, source="my comment")
    client.force_login(moderator)
    _act(client, "user", "ban_and_hide_content", [author.pk], reason="Spammer")
    author.refresh_from_db()
    summary.refresh_from_db()
    comment.refresh_from_db()
    assert author.is_banned
    assert summary.state == "hidden" and comment.state == "hidden"
    _act(client, "user", "unban_selected", [author.pk])
    author.refresh_from_db()
    assert not author.is_banned
    assert client.login(username="alice", password="correct horse battery") is True


def test_moderator_cannot_ban_staff_or_edit_accounts(client, moderator, superuser, author):
    client.force_login(moderator)
    _act(client, "user", "ban_selected", [superuser.pk], reason="coup")
    superuser.refresh_from_db()
    assert not superuser.is_banned
    response = client.post(
        f"/admin/accounts/user/{author.pk}/change/", {"username": "alice", "is_superuser": "on"}
    )
    assert response.status_code == 403
    author.refresh_from_db()
    assert not author.is_superuser


def test_plain_user_cannot_ban(client, stranger, author):
    client.force_login(stranger)
    _act(client, "user", "ban_selected", [author.pk], reason="grudge")
    author.refresh_from_db()
    assert not author.is_banned


def test_admin_edit_creates_a_revision_in_the_moderators_name(client, summary, moderator):
    client.force_login(moderator)
    response = client.post(
        f"/admin/summaries/summary/{summary.pk}/change/",
        {
            "source": "Corrected text.",
            "is_private": "",
            "is_anonymous": "",
            "revisions-TOTAL_FORMS": "1",
            "revisions-INITIAL_FORMS": "1",
            "revisions-MIN_NUM_FORMS": "0",
            "revisions-MAX_NUM_FORMS": "1000",
            "revisions-0-id": str(summary.revisions.get().pk),
            "revisions-0-summary": str(summary.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    summary.refresh_from_db()
    assert summary.source == "Corrected text."
    latest = summary.revisions.first()
    assert (latest.source, latest.editor) == ("Corrected text.", moderator)
    assert summary.revisions.last().source == "The RPN proposes boxes from shared features."
    assert ModerationAction.objects.get().verb == "edit"


def test_merging_duplicates_moves_everything_and_keeps_both_texts(
    client, paper, author, stranger, moderator
):
    duplicate = make_paper("journals/corr/RenHG015", title="Faster R-CNN (arXiv)")
    mine_on_keep = make_summary(paper, author, "text on the conference key")
    mine_on_dup = make_summary(duplicate, author, "text on the arXiv key")
    theirs = make_summary(duplicate, stranger, "stranger's summary")
    Vote.objects.create(summary=mine_on_dup, user=stranger, value=1)
    client.force_login(moderator)
    response = client.post(
        "/admin/papers/paper/",
        {
            "action": "merge_selected",
            "_selected_action": [paper.pk, duplicate.pk],
            "apply": "1",
            "keep": paper.pk,
            "reason": "same paper",
        },
    )
    assert response.status_code == 302
    assert not Paper.objects.filter(pk=duplicate.pk).exists()
    assert PaperAlias.objects.get(key="journals/corr/RenHG015").paper == paper
    theirs.refresh_from_db()
    assert theirs.paper == paper
    sources = set(Revision.objects.filter(summary=mine_on_keep).values_list("source", flat=True))
    assert {"text on the conference key", "text on the arXiv key"} <= sources
    assert Vote.objects.get(user=stranger).summary == mine_on_keep
    assert client.get("/paper/journals/corr/RenHG015/")["Location"] == paper.get_absolute_url()
    paper.refresh_from_db()
    assert paper.public_summary_count == 2


def test_merge_asks_which_paper_to_keep_first(client, paper, moderator):
    duplicate = make_paper("journals/corr/RenHG015", title="Faster R-CNN (arXiv)")
    client.force_login(moderator)
    response = client.post(
        "/admin/papers/paper/",
        {"action": "merge_selected", "_selected_action": [paper.pk, duplicate.pk]},
    )
    assert response.status_code == 200
    assert "Paper to keep" in response.content.decode()
    assert Paper.objects.count() == 2


def test_moderation_log_cannot_be_rewritten(client, summary, superuser):
    client.force_login(superuser)
    _act(client, "summary", "hide_selected", [summary.pk], reason="x")
    entry = ModerationAction.objects.get()
    assert (
        client.post(
            f"/admin/summaries/moderationaction/{entry.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert ModerationAction.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("count", [1, 30])
@pytest.mark.parametrize(
    "url",
    [
        "/admin/summaries/summary/",
        "/admin/summaries/report/?status=all",
        "/admin/summaries/comment/",
        "/admin/accounts/user/",
        "/admin/papers/paper/",
        "/admin/summaries/vote/",
        "/admin/summaries/revision/",
    ],
)
def test_changelists_run_a_bounded_number_of_queries(
    client, moderator, venue, url, count, django_assert_max_num_queries
):
    for i in range(count):
        writer = User.objects.create_user(f"w{i}")
        summary = make_summary(make_paper(f"conf/nips/P{i}", venue=venue), writer)
        comment = Comment.objects.create(summary=summary, author=writer, source="c")
        Report.objects.create(summary=summary, reporter=moderator, reason="spam")
        Report.objects.create(comment=comment, reporter=moderator, reason="abuse")
        Vote.objects.create(summary=summary, user=moderator, value=1)
    client.force_login(moderator)
    client.get(url)  # warm the session and permission caches
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200


def test_deleted_summary_can_be_restored_by_a_moderator(client, summary, moderator):
    Summary.objects.filter(pk=summary.pk).update(deleted_at=timezone.now())
    client.force_login(moderator)
    _act(client, "summary", "restore_selected", [summary.pk])
    summary.refresh_from_db()
    assert summary.deleted_at is None
    client.logout()
    assert "The RPN proposes boxes" in client.get("/").content.decode()
