"""Issue 16, items 12 to 15 and the admin's links: what a moderator (or a voter) must not be
able to do to who can read a text, whose name is on it, or who gets banned."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import User
from papers.models import Paper, Venue
from summaries.models import ModerationAction, Report, Revision, Vote
from tests.conftest import make_paper, make_summary


def _merge(client, keep, *others):
    return client.post(
        "/admin/papers/paper/",
        {
            "action": "merge_selected",
            "_selected_action": [keep.pk, *[p.pk for p in others]],
            "apply": "1",
            "keep": keep.pk,
            "reason": "same paper",
        },
        follow=True,
    )


# Item 12: a merge never changes who can see a text or whose name is on it ------------------


@pytest.mark.parametrize(
    "hidden_way",
    [
        {"is_private": True},
        {"is_anonymous": True},
        {"state": "hidden"},
        {"deleted_at": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)},
    ],
    ids=["private", "anonymous", "hidden", "deleted"],
)
def test_merge_keeps_a_private_or_anonymous_text_apart_and_tells_the_moderator(
    client, paper, author, moderator, hidden_way
):
    duplicate = make_paper("journals/corr/RenHG015", title="Faster R-CNN (arXiv)")
    public = make_summary(paper, author, "my public signed words")
    secret = make_summary(duplicate, author, "words only I may read, unsigned", **hidden_way)
    client.force_login(moderator)
    page = _merge(client, paper, duplicate).content.decode()
    assert "Not merged: journals/corr/RenHG015." in page
    assert "alice summarized both papers" in page
    # Nothing moved: the duplicate, its summary and its flags are as they were.
    assert Paper.objects.filter(pk=duplicate.pk).exists()
    secret.refresh_from_db()
    assert secret.paper_id == duplicate.pk
    for field, value in hidden_way.items():
        assert getattr(secret, field) == value
    sources = Revision.objects.filter(summary=public).values_list("source", flat=True)
    assert "words only I may read, unsigned" not in "".join(sources)
    client.logout()
    history = client.get(f"/summaries/{public.pk}/history/").content.decode()
    assert "History of a summary" in history
    assert "words only I may read" not in history
    assert not ModerationAction.objects.filter(verb="merge").exists()


def test_merge_of_several_papers_merges_those_it_can(client, paper, author, stranger, moderator):
    conflicting = make_paper("journals/corr/A", title="Copy one")
    clean = make_paper("journals/corr/B", title="Copy two")
    make_summary(paper, author, "signed")
    make_summary(conflicting, author, "anonymous", is_anonymous=True)
    theirs = make_summary(clean, stranger, "stranger's")
    client.force_login(moderator)
    page = _merge(client, paper, conflicting, clean).content.decode()
    assert "Not merged: journals/corr/A." in page
    assert "Merged journals/corr/B into conf/nips/RenHGS15" in page
    assert Paper.objects.filter(pk=conflicting.pk).exists()
    assert not Paper.objects.filter(pk=clean.pk).exists()
    theirs.refresh_from_db()
    assert theirs.paper_id == paper.pk


def test_merge_folds_two_summaries_with_the_same_audience(client, paper, author, moderator):
    duplicate = make_paper("journals/corr/RenHG015", title="Faster R-CNN (arXiv)")
    kept = make_summary(paper, author, "private one", is_private=True)
    make_summary(duplicate, author, "private two", is_private=True)
    client.force_login(moderator)
    _merge(client, paper, duplicate)
    assert not Paper.objects.filter(pk=duplicate.pk).exists()
    kept.refresh_from_db()
    assert kept.is_private
    assert "private two" in {r.source for r in kept.revisions.all()}


# Item 13: anonymous summaries never move anyone's visible numbers ---------------------------


def _numbers(client, username):
    page = client.get(f"/user/{username}/").content.decode()
    assert "<h1>" in page
    user = User.objects.get(username=username)
    return user.reputation, user.public_summary_count, page


def test_a_vote_on_an_anonymous_summary_does_not_move_its_writers_reputation(
    client, venue, author, stranger
):
    signed = make_summary(make_paper("a/1", venue=venue), author, "signed")
    anonymous = make_summary(make_paper("a/2", venue=venue), author, "unsigned", is_anonymous=True)
    # A vote on the signed summary has settled since the last recount, so any recount of
    # alice's reputation now would move it: the attack watches for exactly that.
    old = timezone.now() - datetime.timedelta(days=3)
    early = User.objects.create_user("early")
    Vote.objects.create(summary=signed, user=early, value=1, created=old)
    before = _numbers(client, "alice")[:2]
    assert before == (0.0, 1)
    client.force_login(stranger)
    response = client.post(f"/summaries/{anonymous.pk}/vote/", {"value": "1"})
    assert response.status_code in (200, 302)
    anonymous.refresh_from_db()
    assert anonymous.score == 1  # the vote counted on the summary
    reputation, count, page = _numbers(client, "alice")
    assert (reputation, count) == before
    assert "unsigned" not in page
    # A vote on the signed one does recount (so the check above is not vacuous).
    client.post(f"/summaries/{signed.pk}/vote/", {"value": "1"})
    assert _numbers(client, "alice")[0] == 1.0


def test_writing_hiding_and_deleting_anonymous_summaries_move_no_numbers(
    client, venue, author, moderator
):
    from summaries import moderation
    from summaries.writing import delete_summary, save_summary

    signed = make_summary(make_paper("a/1", venue=venue), author, "signed")
    old = timezone.now() - datetime.timedelta(days=3)
    early = User.objects.create_user("early")
    Vote.objects.create(summary=signed, user=early, value=1, created=old)
    paper = make_paper("a/2", venue=venue)
    anonymous = save_summary(
        paper=paper,
        author=author,
        source="unsigned",
        is_private=False,
        is_anonymous=True,
        base_revision_id=None,
    )
    assert _numbers(client, "alice")[:2] == (0.0, 1)
    moderation.hide(anonymous, moderator=moderator, reason="test")
    assert _numbers(client, "alice")[:2] == (0.0, 1)
    moderation.restore(anonymous, moderator=moderator)
    delete_summary(summary=anonymous)
    assert _numbers(client, "alice")[:2] == (0.0, 1)


# Item 14: staff are banned only by superusers, everywhere -----------------------------------


def _act(client, url, action, pks, reason="because"):
    return client.post(
        url,
        {"action": action, "_selected_action": [str(pk) for pk in pks], "reason": reason},
        follow=True,
    )


@pytest.mark.parametrize("target_kind", ["superuser", "staff"])
def test_moderator_cannot_ban_staff_from_the_report_queue(
    client, paper, moderator, superuser, stranger, target_kind
):
    target = superuser
    if target_kind == "staff":
        target = User.objects.create_user("other-mod", "om@example.org", "x", is_staff=True)
    content = make_summary(paper, target, "a summary by staff")
    report = Report.objects.create(summary=content, reporter=stranger, reason="abuse")
    client.force_login(moderator)
    page = _act(client, "/admin/summaries/report/", "ban_author", [report.pk]).content.decode()
    assert "Not banned: " + target.username in page
    target.refresh_from_db()
    assert not target.is_banned
    assert not ModerationAction.objects.filter(verb="ban").exists()


def test_moderator_cannot_hide_all_content_of_staff(client, paper, moderator, superuser):
    content = make_summary(paper, superuser, "root's summary")
    client.force_login(moderator)
    page = _act(client, "/admin/accounts/user/", "hide_all_content", [superuser.pk])
    assert "Only a superuser can ban staff" in page.content.decode()
    content.refresh_from_db()
    assert content.state == "published"


def test_moderator_cannot_unban_staff_a_superuser_banned(client, moderator, superuser):
    staff = User.objects.create_user("other-mod", "om@example.org", "x", is_staff=True)
    User.objects.filter(pk=staff.pk).update(banned_at=timezone.now(), ban_reason="by root")
    client.force_login(moderator)
    _act(client, "/admin/accounts/user/", "unban_selected", [staff.pk])
    staff.refresh_from_db()
    assert staff.is_banned


def test_superuser_can_ban_staff_from_the_report_queue(client, paper, superuser, stranger):
    staff = User.objects.create_user("other-mod", "om@example.org", "x", is_staff=True)
    report = Report.objects.create(
        summary=make_summary(paper, staff, "staff text"), reporter=stranger, reason="abuse"
    )
    client.force_login(superuser)
    page = _act(client, "/admin/summaries/report/", "ban_author", [report.pk]).content.decode()
    assert "Banned 1 author(s)." in page
    staff.refresh_from_db()
    assert staff.is_banned


def test_the_moderation_functions_themselves_refuse(moderator, superuser):
    from django.core.exceptions import PermissionDenied

    from summaries import moderation

    for verb in (moderation.ban, moderation.hide_all_content):
        with pytest.raises(PermissionDenied):
            verb(superuser, moderator=moderator, reason="coup")
    superuser.refresh_from_db()
    assert not superuser.is_banned


# Item 15: every moderator change to a summary is logged and recoverable ---------------------


def _admin_edit(client, summary, **fields):
    data = {
        "source": summary.source,
        "is_private": "on" if summary.is_private else "",
        "is_anonymous": "on" if summary.is_anonymous else "",
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
        "revisions-MIN_NUM_FORMS": "0",
        "revisions-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return client.post(f"/admin/summaries/summary/{summary.pk}/change/", data)


def test_moderator_flipping_a_flag_leaves_a_log_entry_and_a_revision(client, summary, moderator):
    client.force_login(moderator)
    response = _admin_edit(client, summary, is_anonymous="on")
    assert response.status_code == 302, response.content.decode()[:3000]
    summary.refresh_from_db()
    assert summary.is_anonymous
    entry = ModerationAction.objects.get(verb="edit", target_id=summary.pk)
    assert entry.moderator == moderator
    assert entry.changes == {"is_anonymous": [False, True]}
    latest = summary.revisions.first()
    assert latest.editor == moderator
    assert latest.note == "Moderator mod changed anonymous: no → yes"
    client.logout()
    page = client.get(summary.paper.get_absolute_url()).content.decode()
    assert "The RPN proposes boxes" in page and "Alice Liddell" not in page


def test_moderator_cannot_make_a_private_summary_public_or_sign_an_anonymous_one(
    client, paper, author, moderator
):
    secret = make_summary(paper, author, "private words", is_private=True, is_anonymous=True)
    client.force_login(moderator)
    for field, message in [
        ("is_private", "Only its writer can make a private summary public."),
        ("is_anonymous", "Only its writer can sign an anonymous summary with their name."),
    ]:
        response = _admin_edit(client, secret, **{field: ""})
        assert response.status_code == 200
        assert message in response.content.decode()
    secret.refresh_from_db()
    assert secret.is_private and secret.is_anonymous
    assert not ModerationAction.objects.exists()
    assert secret.revisions.count() == 1


def test_a_moderators_own_flag_change_can_be_undone_until_the_writer_saves(
    client, summary, moderator
):
    from summaries.writing import save_summary

    client.force_login(moderator)
    assert _admin_edit(client, summary, is_private="on").status_code == 302
    summary.refresh_from_db()
    assert summary.is_private
    assert _admin_edit(client, summary, is_private="").status_code == 302  # undone
    summary.refresh_from_db()
    assert not summary.is_private
    assert list(ModerationAction.objects.order_by("pk").values_list("changes", flat=True)) == [
        {"is_private": [False, True]},
        {"is_private": [True, False]},
    ]
    # Once the writer has saved it private themselves, it is theirs to publish.
    _admin_edit(client, summary, is_private="on")
    summary.refresh_from_db()
    save_summary(
        paper=summary.paper,
        author=summary.author,
        source="my own private version",
        is_private=True,
        is_anonymous=False,
        base_revision_id=summary.current_revision_id(),
    )
    summary.refresh_from_db()
    response = _admin_edit(client, summary, is_private="")
    assert "Only its writer can make a private summary public." in response.content.decode()
    summary.refresh_from_db()
    assert summary.is_private


def test_moderator_text_edit_keeps_the_old_text_in_the_log(client, summary, moderator):
    client.force_login(moderator)
    _admin_edit(client, summary, source="Corrected.")
    entry = ModerationAction.objects.get(verb="edit")
    assert entry.changes == {
        "source": ["The RPN proposes boxes from shared features.", "Corrected."]
    }


def test_saving_without_changes_logs_nothing(client, summary, moderator):
    client.force_login(moderator)
    assert _admin_edit(client, summary).status_code == 302
    assert not ModerationAction.objects.exists()
    assert summary.revisions.count() == 1


# Smaller: links stored on papers and venues are http or https -------------------------------


@pytest.mark.parametrize(
    "bad",
    ["javascript:alert(1)", "javascript:123", "JAVASCRIPT://x%0aalert(1)", "data:text/html,x"],
)
def test_moderator_cannot_store_a_script_link_on_a_venue(client, moderator, bad):
    client.force_login(moderator)
    response = client.post(
        "/admin/papers/venue/add/", {"key": "conf/evil", "name": "Evil", "url": bad}
    )
    assert response.status_code == 200
    assert "Enter a valid URL." in response.content.decode() or "http:// or https://" in (
        response.content.decode()
    )
    assert not Venue.objects.filter(key="conf/evil").exists()


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "javascript:123", "vbscript:x", "//evil"])
def test_paper_links_accept_only_http_and_https(rf, paper, moderator, bad):
    from django.contrib import admin

    paper_admin = admin.site._registry[Paper]
    request = rf.post("/admin/papers/paper/")
    request.user = moderator
    Form = paper_admin.get_form(request, paper, change=True)
    data = {
        "bibtex_key": paper.bibtex_key,
        "entry_type": paper.entry_type,
        "title": paper.title,
        "urls": f'["https://example.org/ok", "{bad}"]',
        "source": "",
    }
    form = Form(data, instance=paper)
    assert not form.is_valid()
    assert "is not an http:// or https:// address" in str(form.errors["urls"])
    paper.refresh_from_db()
    assert paper.urls == []


def test_a_stored_script_link_is_not_shown(client, paper):
    Paper.objects.filter(pk=paper.pk).update(urls=["javascript:alert(1)", "https://example.org/p"])
    page = client.get(paper.get_absolute_url()).content.decode()
    assert 'href="https://example.org/p"' in page
    assert "javascript:alert" not in page


def _paper_change_data(rf, paper, moderator, **changes):
    """What the paper's admin page would post unchanged, plus `changes`."""
    from django.contrib import admin

    request = rf.get("/")
    request.user = moderator
    form = admin.site._registry[Paper].get_form(request, paper, change=True)(instance=paper)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if value is None:
            value = ""
        elif name == "urls":
            value = field.prepare_value(value)
        elif isinstance(value, list):
            value = [getattr(v, "pk", v) for v in value]
        data[name] = value
    for prefix in ("authorships", "aliases"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(changes)
    return data


def test_a_moderators_paper_edit_is_logged_with_the_old_values(client, rf, paper, moderator):
    old_title = paper.title
    client.force_login(moderator)
    response = client.post(
        f"/admin/papers/paper/{paper.pk}/change/",
        _paper_change_data(rf, paper, moderator, title="A wrong title"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    paper.refresh_from_db()
    assert paper.title == "A wrong title"
    entry = ModerationAction.objects.get(verb="edit", target_type="paper")
    assert entry.moderator == moderator
    assert entry.changes == {"title": [old_title, "A wrong title"]}


def test_a_script_link_posted_to_the_paper_admin_is_refused(client, rf, paper, moderator):
    client.force_login(moderator)
    response = client.post(
        f"/admin/papers/paper/{paper.pk}/change/",
        _paper_change_data(rf, paper, moderator, urls='["javascript:alert(1)"]'),
    )
    assert response.status_code == 200
    assert "javascript:alert(1) is not an http:// or https:// address" in response.content.decode()
    paper.refresh_from_db()
    assert paper.urls == []
    assert not ModerationAction.objects.exists()
