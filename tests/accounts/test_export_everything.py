"""The "everything" export holds all a person wrote and did, and nothing of anyone else."""

import json

from summaries.commenting import post_comment
from summaries.models import Report
from summaries.voting import cast_vote
from summaries.writing import save_summary
from tests.conftest import make_paper, make_summary


def test_everything_export_has_settings_revisions_comments_votes_and_reports(
    client, paper, author, stranger, moderator
):
    mine = save_summary(
        paper=paper,
        author=author,
        source="First text.",
        is_private=False,
        is_anonymous=False,
        base_revision_id=None,
    )
    save_summary(
        paper=paper,
        author=author,
        source="Second text.",
        is_private=False,
        is_anonymous=False,
        base_revision_id=mine.current_revision_id(),
    )
    theirs = make_summary(make_paper("conf/x/T", title="Their paper"), stranger, "their words")
    post_comment(summary=theirs, author=author, source="My *comment*.")
    post_comment(summary=theirs, author=stranger, source="Their comment.")
    cast_vote(summary=theirs, user=author, value=-1)
    cast_vote(summary=mine, user=stranger, value=1)
    Report.objects.create(summary=theirs, reporter=author, reason="wrong", text="Not this paper")
    Report.objects.create(summary=mine, reporter=stranger, reason="spam", text="theirs")

    client.force_login(author)
    response = client.get("/accounts/export/everything.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="shortscience-alice-everything.json"'
    )
    data = json.loads(response.content)
    assert data["settings"]["username"] == "alice"
    assert data["settings"]["display_name"] == "Alice Liddell"
    assert data["settings"]["email"] == "alice@example.org"
    [summary] = data["summaries"]
    assert summary["source"] == "Second text."
    assert [r["source"] for r in summary["revisions"]] == ["First text.", "Second text."]
    assert [c["source"] for c in data["comments"]] == ["My *comment*."]
    assert data["comments"][0]["paper_key"] == "conf/x/T"
    assert [(v["paper_key"], v["value"]) for v in data["votes"]] == [("conf/x/T", -1)]
    assert [(r["reason"], r["text"]) for r in data["reports"]] == [("wrong", "Not this paper")]
    assert data["follows"] == []
    assert "their words" not in response.content.decode()
    assert "Their comment." not in response.content.decode()


def test_everything_export_needs_a_log_in_and_is_linked_from_settings(client, author):
    assert client.get("/accounts/export/everything.json").status_code == 302
    client.force_login(author)
    page = client.get("/accounts/settings/").content.decode()
    assert 'href="/accounts/export/everything.json"' in page
