import pytest
from django.urls import resolve

from summaries.models import ModerationAction, Summary
from summaries.views import write
from tests.conftest import make_paper, make_summary

WRITE = "/paper/conf/nips/RenHGS15/write/"


def _post(client, source="A first summary with $x^2$.", **extra):
    data = {"source": source, **extra}
    return client.post(WRITE, data)


def test_editor_url_with_slashes_in_the_key_resolves_to_the_editor(paper):
    match = resolve(WRITE)
    assert match.func is write
    assert match.kwargs == {"key": "conf/nips/RenHGS15"}


def test_guest_is_sent_to_log_in_before_writing(client, paper):
    response = client.get(WRITE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/paper/conf/nips/RenHGS15/write/")


def test_writer_creates_a_summary_with_a_first_revision(client, paper, author):
    client.force_login(author)
    page = client.get(WRITE).content.decode()
    assert "Write a summary" in page
    assert "\\cite{" in page  # the syntax help
    response = _post(client, "RPN *shares* features.")
    assert response.status_code == 302
    assert response["Location"] == "/paper/conf/nips/RenHGS15/#alice"
    summary = Summary.objects.get(paper=paper, author=author)
    assert "<em>shares</em>" in summary.html
    assert list(summary.revisions.values_list("source", "editor")) == [
        ("RPN *shares* features.", author.pk)
    ]
    paper_page = client.get(paper.get_absolute_url()).content.decode()
    assert "RPN <em>shares</em> features." in paper_page
    assert "Edit your summary" in paper_page


def test_second_visit_edits_the_same_summary_and_keeps_both_texts(client, summary, author):
    client.force_login(author)
    page = client.get(WRITE).content.decode()
    assert "Edit your summary" in page
    assert "The RPN proposes boxes from shared features." in page
    base = summary.current_revision_id()
    response = _post(client, "Rewritten text.", base_revision=base)
    assert response.status_code == 302
    summary.refresh_from_db()
    assert summary.source == "Rewritten text."
    assert Summary.objects.filter(author=author).count() == 1
    assert [r.source for r in summary.revisions.order_by("pk")] == [
        "The RPN proposes boxes from shared features.",
        "Rewritten text.",
    ]


def test_save_from_a_stale_editor_is_refused_and_shows_both_texts(client, summary, author):
    client.force_login(author)
    stale = summary.current_revision_id()
    assert _post(client, "Saved from tab one.", base_revision=stale).status_code == 302
    response = _post(client, "Typed in tab two.", base_revision=stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not saved: the summary changed" in page
    assert "Saved from tab one." in page and "Typed in tab two." in page
    summary.refresh_from_db()
    assert summary.source == "Saved from tab one."
    # The form now carries the current revision, so saving again (after merging) works.
    assert f'value="{summary.current_revision_id()}"' in page
    again = _post(client, "Merged.", base_revision=summary.current_revision_id())
    assert again.status_code == 302


def test_a_new_summary_written_in_two_tabs_does_not_overwrite_the_first(client, paper, author):
    client.force_login(author)
    assert _post(client, "From tab one.").status_code == 302
    response = _post(client, "From tab two.")
    assert response.status_code == 409
    assert Summary.objects.get(author=author).source == "From tab one."


def test_moderator_edit_in_between_causes_a_conflict(client, summary, author, moderator):
    client.force_login(author)
    base = summary.current_revision_id()
    summary.source = "Moderator fixed a link."
    summary.save()
    summary.record_revision(moderator, note="Edited in the admin")
    response = _post(client, "Writer's text.", base_revision=base)
    assert response.status_code == 409
    summary.refresh_from_db()
    assert summary.source == "Moderator fixed a link."


def test_empty_or_oversized_text_is_refused_with_a_message(client, paper, author):
    client.force_login(author)
    assert "A summary needs some text." in _post(client, "   ").content.decode()
    response = _post(client, "x" * (100 * 1024 + 1))
    assert "the limit is 100 KB" in response.content.decode()
    assert not Summary.objects.exists()


def test_preview_button_without_javascript_renders_and_does_not_save(client, paper, author):
    client.force_login(author)
    response = _post(client, "Just *looking*.", preview="1")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Just <em>looking</em>." in page
    assert "Just *looking*." in page  # still in the textarea
    assert not Summary.objects.exists()


def test_preview_endpoint_returns_exactly_what_saving_stores(client, paper, author):
    cited = make_paper(
        "conf/icml/GalG16",
        title="Dropout as a Bayesian Approximation",
        authors=["Yarin Gal", "Zoubin Ghahramani"],
        year=2016,
    )
    source = "Uses $a_1 * b_2$ and \\cite{conf/icml/GalG16}.\n\n# Heading"
    client.force_login(author)
    preview = client.post("/preview/", {"source": source})
    assert preview.status_code == 200
    assert preview["Content-Type"].startswith("text/html")
    saved = make_summary(paper, author, source)
    assert preview.content.decode() == saved.html
    assert cited.pk


def test_preview_is_post_only_for_logged_in_writers_and_size_limited(client, author):
    assert client.get("/preview/").status_code == 405
    assert client.post("/preview/", {"source": "hi"}).status_code == 403
    client.force_login(author)
    response = client.post("/preview/", {"source": "x" * (100 * 1024 + 1)})
    assert response.status_code == 413
    assert "at most 100 KB" in response.content.decode()


def test_preview_requires_the_csrf_token(author):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    assert client.post("/preview/", {"source": "hi"}).status_code == 403


def test_text_posted_after_the_session_expired_is_back_after_logging_in(client, paper, author):
    client.force_login(author)
    base_page = client.get(WRITE)
    assert base_page.status_code == 200
    client.logout()  # the session expired while the writer was typing
    response = _post(client, "Words I must not lose.", is_private="on")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Summary.objects.exists()
    login = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery", "next": WRITE},
    )
    assert login["Location"] == WRITE
    page = client.get(WRITE).content.decode()
    assert "Words I must not lose." in page
    assert "before logging in" in page
    assert 'id="id_is_private" checked' in page


def test_private_summary_is_hidden_from_others_and_anonymous_hides_the_name(
    client, paper, author, stranger
):
    client.force_login(author)
    _post(client, "Secret notes.", is_private="on")
    _post(
        client,
        "Now open but nameless.",
        is_anonymous="on",
        base_revision=Summary.objects.get().current_revision_id(),
    )
    client.force_login(stranger)
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "Now open but nameless." in page
    assert "Anonymous" in page
    assert "Alice" not in page and "/user/alice/" not in page
    history = client.get(f"/summaries/{Summary.objects.get().pk}/history/").content.decode()
    assert "Alice" not in history and "alice" not in history


def test_editor_and_scripts_have_no_inline_javascript(client, paper, author):
    client.force_login(author)
    page = client.get(WRITE).content.decode()
    assert '<script src="/static/js/editor.js" defer></script>' in page
    assert "<script>" not in page and " onclick=" not in page


def test_unknown_paper_has_no_editor(client, author, db):
    client.force_login(author)
    assert client.get("/paper/conf/nips/Nobody/write/").status_code == 404


# Soft delete, restore and share links ---------------------------------------------------------


def test_writer_soft_deletes_and_restores_from_history(client, summary, author, paper):
    client.force_login(author)
    response = client.post(f"/summaries/{summary.pk}/delete/")
    assert response.status_code == 302
    summary.refresh_from_db()
    assert summary.deleted_at is not None
    assert "The RPN proposes" not in client.get("/").content.decode()
    paper.refresh_from_db()
    assert paper.public_summary_count == 0
    history = client.get(f"/summaries/{summary.pk}/history/")
    assert "Restore the summary" in history.content.decode()
    client.post(f"/summaries/{summary.pk}/undelete/")
    summary.refresh_from_db()
    assert summary.deleted_at is None
    assert "The RPN proposes" in client.get("/").content.decode()


@pytest.mark.parametrize("who", ["guest", "stranger", "moderator"])
def test_only_the_writer_can_delete_a_summary(client, summary, who, stranger, moderator):
    if who != "guest":
        client.force_login(stranger if who == "stranger" else moderator)
    response = client.post(f"/summaries/{summary.pk}/delete/")
    assert response.status_code in (302, 403)
    if who == "guest":
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 403
    summary.refresh_from_db()
    assert summary.deleted_at is None


def test_delete_is_post_only(client, summary, author):
    client.force_login(author)
    assert client.get(f"/summaries/{summary.pk}/delete/").status_code == 405


def test_moderator_can_restore_a_deleted_summary_but_a_stranger_cannot(
    client, summary, author, stranger, moderator
):
    client.force_login(author)
    client.post(f"/summaries/{summary.pk}/delete/")
    client.force_login(stranger)
    assert client.get(f"/summaries/{summary.pk}/history/").status_code == 404
    assert client.post(f"/summaries/{summary.pk}/undelete/").status_code == 403
    client.force_login(moderator)
    assert client.post(f"/summaries/{summary.pk}/undelete/").status_code == 302
    summary.refresh_from_db()
    assert summary.deleted_at is None
    assert ModerationAction.objects.filter(
        moderator=moderator, verb="restore", target_id=summary.pk
    ).exists()


def test_share_link_shows_a_private_summary_until_revoked(client, paper, author, stranger):
    private = make_summary(paper, author, "For my reading group.", is_private=True)
    client.force_login(author)
    client.post(f"/summaries/{private.pk}/share/", {"action": "create"})
    private.refresh_from_db()
    token = private.share_token
    assert token and len(token) >= 32
    assert f"/s/{token}/" in client.get(WRITE).content.decode()
    client.logout()
    response = client.get(f"/s/{token}/")
    assert response.status_code == 200
    assert "For my reading group." in response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    assert client.get("/s/not-the-token/").status_code == 404
    client.force_login(stranger)
    assert client.post(f"/summaries/{private.pk}/share/", {"action": "revoke"}).status_code == 403
    client.force_login(author)
    client.post(f"/summaries/{private.pk}/share/", {"action": "revoke"})
    client.logout()
    assert client.get(f"/s/{token}/").status_code == 404


def test_saving_too_often_is_refused_with_a_clear_message(client, paper, author, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "summary": (1, 3600, "summary saves")}
    client.force_login(author)
    assert _post(client, "first").status_code == 302
    base = Summary.objects.get().current_revision_id()
    response = _post(client, "second, kept in the editor", base_revision=base)
    assert response.status_code == 429
    page = response.content.decode()
    assert "limit of 1 summary saves in an hour" in page
    assert "second, kept in the editor" in page
    assert Summary.objects.get().source == "first"


def test_moderator_opening_the_editor_gets_their_own_summary_not_the_authors(
    client, summary, moderator
):
    client.force_login(moderator)
    page = client.get(WRITE).content.decode()
    assert "Write a summary" in page
    assert "The RPN proposes boxes" not in page.split("<textarea", 1)[1].split("</textarea>")[0]
    _post(client, "The moderator's own summary.")
    summary.refresh_from_db()
    assert summary.source == "The RPN proposes boxes from shared features."
    assert Summary.objects.filter(author=moderator).count() == 1


def test_banned_writer_cannot_save(client, paper, author):
    from django.utils import timezone

    from accounts.models import User

    client.force_login(author)
    User.objects.filter(pk=author.pk).update(banned_at=timezone.now())
    response = _post(client, "spam")
    assert response.status_code == 302  # logged out by the ban, sent to log in
    assert not Summary.objects.exists()


@pytest.mark.parametrize(
    "url", ["/accounts/settings/", "/accounts/delete/", "/accounts/export/summaries.csv"]
)
def test_account_pages_need_a_login(client, db, url):
    assert client.get(url)["Location"].startswith("/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_from_one_revision_lose_nothing(venue, author):
    """Two tabs save at the same moment from the same starting revision: one wins, the other
    is refused with a conflict, and every revision that was saved is still there."""
    import threading

    from django.db import connection, connections

    from summaries.models import Revision
    from summaries.writing import EditConflict, save_summary

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers by locking the whole file")
    paper = make_paper(venue=venue)
    first = save_summary(
        paper=paper,
        author=author,
        source="first text",
        is_private=False,
        is_anonymous=False,
        base_revision_id=None,
    )
    base = first.current_revision_id()
    start = threading.Barrier(2)
    outcomes = []

    def save(text):
        try:
            start.wait()
            save_summary(
                paper=paper,
                author=author,
                source=text,
                is_private=False,
                is_anonymous=False,
                base_revision_id=base,
            )
            outcomes.append(("saved", text))
        except EditConflict:
            outcomes.append(("conflict", text))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(t,)) for t in ("tab one", "tab two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(kind for kind, _ in outcomes) == ["conflict", "saved"]
    winner = next(text for kind, text in outcomes if kind == "saved")
    first.refresh_from_db()
    assert first.source == winner
    texts = list(Revision.objects.filter(summary=first).values_list("source", flat=True))
    assert sorted(texts) == sorted(["first text", winner])


def test_messages_that_name_a_page_link_to_it(client, summary, author):
    client.force_login(author)
    saved = client.post(
        WRITE,
        {"source": "New text.", "base_revision": summary.current_revision_id(), "save": "1"},
        follow=True,
    )
    history = f"/summaries/{summary.pk}/history/"
    assert f'Your summary is saved. <a href="{history}">Every saved version</a>' in (
        saved.content.decode()
    )
    deleted = client.post(f"/summaries/{summary.pk}/delete/", follow=True)
    assert f'bring it back from <a href="{history}">its history page</a>' in (
        deleted.content.decode()
    )
