"""Who may change what: every state-changing action, tried by a guest, a stranger, the owner
of the thing it changes, a moderator and a banned owner. Only the roles marked allowed change
anything; everyone else is refused and the state is as it was."""

import pytest
from django.utils import timezone

from summaries.models import Comment, Report, Summary, Vote

ROLES = ["guest", "stranger", "owner", "moderator", "banned"]


def _summary(ctx):
    return Summary.objects.get(pk=ctx["summary"].pk)


# action: (url, POST data, what "changed" means, roles that may do it)
ACTIONS = {
    "edit the summary": (
        lambda c: "/paper/conf/nips/RenHGS15/write/",
        lambda c: {"source": "EDITED", "base_revision": c["summary"].current_revision_id()},
        lambda c: _summary(c).source == "EDITED",
        {"owner"},
    ),
    "delete the summary": (
        lambda c: f"/summaries/{c['summary'].pk}/delete/",
        lambda c: {},
        lambda c: _summary(c).deleted_at is not None,
        {"owner"},
    ),
    "create a share link": (
        lambda c: f"/summaries/{c['summary'].pk}/share/",
        lambda c: {"action": "create"},
        lambda c: bool(_summary(c).share_token),
        {"owner"},
    ),
    "restore an old revision": (
        lambda c: f"/summaries/{c['summary'].pk}/revisions/{c['first_revision'].pk}/restore/",
        lambda c: {},
        lambda c: _summary(c).revisions.count() == 3,
        {"owner"},  # a moderator restoring old text would be rewriting it
    ),
    "undelete a deleted summary": (
        lambda c: f"/summaries/{c['summary'].pk}/undelete/",
        lambda c: {},
        lambda c: _summary(c).deleted_at is None,
        {"owner", "moderator"},
    ),
    "vote on the summary": (
        lambda c: f"/summaries/{c['summary'].pk}/vote/",
        lambda c: {"value": "1"},
        lambda c: Vote.objects.exists(),
        {"stranger", "moderator"},
    ),
    "comment on the summary": (
        lambda c: f"/summaries/{c['summary'].pk}/comments/",
        lambda c: {"source": "A new comment"},
        lambda c: Comment.objects.filter(source="A new comment").exists(),
        {"stranger", "owner", "moderator"},
    ),
    "delete the comment": (
        lambda c: f"/comments/{c['comment'].pk}/delete/",
        lambda c: {},
        lambda c: Comment.objects.get(pk=c["comment"].pk).deleted_at is not None,
        {"owner"},
    ),
    "report the summary": (
        lambda c: f"/summaries/{c['summary'].pk}/report/",
        lambda c: {"reason": "spam"},
        lambda c: Report.objects.exists(),
        {"stranger", "moderator"},
    ),
    "hide the summary (admin)": (
        lambda c: "/admin/summaries/summary/",
        lambda c: {
            "action": "hide_selected",
            "_selected_action": [c["summary"].pk],
            "reason": "test",
        },
        lambda c: _summary(c).state == "hidden",
        {"moderator"},
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_permission_matrix(client, paper, author, stranger, moderator, action, role):
    from tests.conftest import make_summary

    summary = make_summary(paper, author, "Original text.")
    first_revision = summary.revisions.get()
    summary.source = "Second text."
    summary.save()
    summary.record_revision(author)
    comment = Comment.objects.create(summary=summary, author=author, source="Owner's comment")
    context = {"summary": summary, "comment": comment, "first_revision": first_revision}
    if action == "undelete a deleted summary":
        Summary.objects.filter(pk=summary.pk).update(deleted_at=timezone.now())

    if role == "stranger":
        client.force_login(stranger)
    elif role == "owner":
        client.force_login(author)
    elif role == "moderator":
        client.force_login(moderator)
    elif role == "banned":
        client.force_login(author)
        type(author).objects.filter(pk=author.pk).update(banned_at=timezone.now())

    url, data, changed, allowed = ACTIONS[action]
    response = client.post(url(context), data(context))
    assert response.status_code < 500, (action, role)
    if role in allowed:
        assert changed(context), f"{role} should be able to {action}"
    else:
        assert not changed(context), f"{role} must not be able to {action}"
        assert response.status_code in (302, 400, 403, 404, 405, 409, 429), (action, role)
