from tests.conftest import make_summary


def _edit(summary, source, editor):
    summary.source = source
    summary.save()
    summary.record_revision(editor)


def test_history_lists_revisions_and_shows_a_word_diff(client, summary, author):
    _edit(summary, "The RPN proposes anchors from shared features.", author)
    page = client.get(f"/summaries/{summary.pk}/history/").content.decode()
    assert page.count('name="a"') == 2
    assert "<del>boxes</del><ins>anchors</ins>" in page
    assert "+1 word" in page


def test_any_two_revisions_can_be_compared(client, summary, author):
    first = summary.revisions.get()
    _edit(summary, "second", author)
    _edit(summary, "third", author)
    page = client.get(f"/summaries/{summary.pk}/history/", {"a": first.pk, "b": first.pk})
    assert "<ins>" not in page.content.decode()
    latest = summary.current_revision_id()
    page = client.get(f"/summaries/{summary.pk}/history/", {"a": latest, "b": first.pk})
    assert "<ins>third</ins>" in page.content.decode()


def test_restore_makes_an_old_text_current_as_a_new_revision(client, summary, author):
    first = summary.revisions.get()
    _edit(summary, "A worse text.", author)
    client.force_login(author)
    assert "Restore" in client.get(f"/summaries/{summary.pk}/history/").content.decode()
    response = client.post(f"/summaries/{summary.pk}/revisions/{first.pk}/restore/")
    assert response.status_code == 302
    summary.refresh_from_db()
    assert summary.source == "The RPN proposes boxes from shared features."
    assert summary.revisions.count() == 3
    assert summary.revisions.order_by("-pk").first().note.startswith("Restored the revision")


def test_stranger_and_moderator_cannot_restore_a_revision(
    client, summary, author, stranger, moderator
):
    first = summary.revisions.get()
    _edit(summary, "current", author)
    for person in (stranger, moderator):
        client.force_login(person)
        page = client.get(f"/summaries/{summary.pk}/history/").content.decode()
        assert "/restore/" not in page
        response = client.post(f"/summaries/{summary.pk}/revisions/{first.pk}/restore/")
        assert response.status_code == 403
    summary.refresh_from_db()
    assert summary.source == "current"


def test_restore_is_post_only_and_guests_log_in_first(client, summary):
    first = summary.revisions.get()
    assert client.get(f"/summaries/{summary.pk}/revisions/{first.pk}/restore/").status_code == 405
    response = client.post(f"/summaries/{summary.pk}/revisions/{first.pk}/restore/")
    assert response["Location"].startswith("/accounts/login/")


def test_history_of_a_private_summary_is_its_owners(client, paper, author, stranger, moderator):
    private = make_summary(paper, author, "private text", is_private=True)
    url = f"/summaries/{private.pk}/history/"
    assert client.get(url).status_code == 404
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(author)
    assert client.get(url).status_code == 200
    client.force_login(moderator)
    assert client.get(url).status_code == 200


def test_moderator_edits_show_in_history_under_their_name(client, summary, moderator):
    _edit(summary, "tidied", moderator)
    page = client.get(f"/summaries/{summary.pk}/history/").content.decode()
    assert "mod (moderator)" in page
