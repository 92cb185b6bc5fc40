"""Settings: a new e-mail address takes effect only once confirmed, the bio is Markdown, and a
deleted account's username is never handed to someone else."""

import re

from accounts.models import User
from summaries.account_deletion import delete_account

SIGNUP = {
    "username": "alice",
    "email": "fresh@example.org",
    "password1": "a long enough passphrase",
    "password2": "a long enough passphrase",
}


def _change(client, email, password="correct horse battery"):
    return client.post("/accounts/email/", {"email": email, "password": password})


def test_a_new_address_takes_effect_only_when_its_link_is_opened(client, author, mailoutbox):
    client.force_login(author)
    response = _change(client, "alice@new.example.org")
    assert response.status_code == 302
    author.refresh_from_db()
    assert author.email == "alice@example.org" and author.email_confirmed
    assert author.pending_email == "alice@new.example.org"
    [mail] = mailoutbox
    assert mail.to == ["alice@new.example.org"]
    settings_page = client.get("/accounts/settings/").content.decode()
    assert "You asked to change it to <strong>alice@new.example.org</strong>" in settings_page

    path = re.search(r"https?://[^/\s]+(/accounts/email/confirm/\S+)", mail.body).group(1)
    assert "alice@new.example.org" in client.get(path).content.decode()
    author.refresh_from_db()
    assert author.email == "alice@example.org"  # opening the page (a mail scanner) changes nothing
    assert client.post(path).status_code == 302
    author.refresh_from_db()
    assert author.email == "alice@new.example.org"
    assert author.pending_email == "" and author.email_confirmed
    assert client.post(path).status_code == 400  # used once


def test_a_change_needs_the_password_and_a_free_address(client, author, stranger, mailoutbox):
    client.force_login(author)
    wrong = _change(client, "alice@new.example.org", password="nope")
    assert wrong.status_code == 400
    assert "That is not your password." in wrong.content.decode()
    taken = _change(client, "MALLORY@example.org")
    assert taken.status_code == 400
    assert "An account already uses this address." in taken.content.decode()
    author.refresh_from_db()
    assert author.pending_email == "" and mailoutbox == []


def test_an_older_change_link_stops_working_after_another_request(client, author, mailoutbox):
    client.force_login(author)
    _change(client, "first@example.org")
    _change(client, "second@example.org")
    first_link = re.search(r"(/accounts/email/confirm/\S+)", mailoutbox[0].body).group(1)
    assert client.post(first_link).status_code == 400
    author.refresh_from_db()
    assert author.email == "alice@example.org"


def test_bio_is_markdown_rendered_safely_on_the_profile(client, author):
    client.force_login(author)
    bio = "I study *vision* and $x^2$.\n\n<script>alert(1)</script> [site](javascript:alert(1))"
    response = client.post(
        "/accounts/settings/", {"display_name": "Alice Liddell", "bio": bio, "orcid": ""}
    )
    assert response.status_code == 302
    page = client.get("/user/alice/").content.decode()
    assert "<em>vision</em>" in page
    assert 'class="katex"' in page
    assert "<script>alert(1)</script>" not in page
    assert "javascript:" not in page
    author.refresh_from_db()
    assert author.bio == bio  # the source is kept as written


def test_a_deleted_accounts_username_is_never_given_to_someone_else(client, author):
    delete_account(user=author, delete_public_summaries=False)
    for name in ("alice", "ALICE"):
        response = client.post("/accounts/signup/", {**SIGNUP, "username": name})
        assert response.status_code == 200
        assert "That username is taken." in response.content.decode()
    assert not User.objects.filter(username__iexact="alice").exists()
    assert client.post("/accounts/signup/", {**SIGNUP, "username": "alice2"}).status_code == 302
