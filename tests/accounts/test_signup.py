import csv
import io
import json
import re

import pytest

from accounts.forms import orcid_checksum_ok
from accounts.models import User
from accounts.tokens import confirmation_token
from summaries.models import Comment, Summary, Vote
from tests.conftest import make_paper, make_summary

SIGNUP = {
    "username": "new-reader_1",
    "email": "reader@example.org",
    "password1": "a long and unusual passphrase",
    "password2": "a long and unusual passphrase",
}


def _link(mail):
    return re.search(r"https?://\S+", mail.body).group(0)


def test_sign_up_logs_in_and_emails_a_confirmation_link(client, db, mailoutbox):
    assert "Sign up" in client.get("/").content.decode()
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(username="new-reader_1")
    assert not user.email_confirmed
    assert client.get("/").wsgi_request.user == user
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["reader@example.org"]
    path = _link(mailoutbox[0]).split("testserver", 1)[-1].replace("http://127.0.0.1:8000", "")
    page = client.get(path)
    assert "Confirm my address" in page.content.decode()
    user.refresh_from_db()
    assert not user.email_confirmed  # opening the link is not enough; the button confirms
    client.post(path)
    user.refresh_from_db()
    assert user.email_confirmed


def test_confirmation_link_is_refused_when_forged_or_out_of_date(client, author):
    User.objects.filter(pk=author.pk).update(email_confirmed=False)
    assert client.get("/accounts/confirm/forged/").status_code == 400
    token = confirmation_token(author)
    User.objects.filter(pk=author.pk).update(email="new@example.org")
    response = client.post(f"/accounts/confirm/{token}/")
    assert response.status_code == 400
    author.refresh_from_db()
    assert not author.email_confirmed


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "ALICE", "That username is taken."),
        ("username", "has space", "only letters, digits, underscores and hyphens"),
        ("password1", "password", "This password is too common"),
    ],
)
def test_sign_up_refuses_taken_names_bad_names_and_weak_passwords(
    client, author, field, value, message
):
    data = {**SIGNUP, field: value}
    if field == "password1":
        data["password2"] = value
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 1


def test_production_hashes_passwords_with_argon2():
    from shortscience import settings

    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_password_reset_by_email_link(client, author, mailoutbox):
    client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert len(mailoutbox) == 1
    path = re.search(r"http://127\.0\.0\.1:8000(\S+)", mailoutbox[0].body).group(1)  # SITE_URL
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another fine passphrase", "new_password2": "another fine passphrase"},
    )
    assert response.status_code == 302
    author.refresh_from_db()
    assert author.check_password("another fine passphrase")


def test_password_change_needs_the_old_password(client, author):
    client.force_login(author)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": "correct horse battery",
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    assert response["Location"] == "/accounts/password/change/done/"
    author.refresh_from_db()
    assert author.check_password("a brand new passphrase")


def test_settings_save_profile_fields_and_validate_orcid(client, author):
    client.force_login(author)
    bad = client.post(
        "/accounts/settings/",
        {"display_name": "A.", "bio": "", "orcid": "0000-0002-1825-0098"},
    )
    assert "wrong check digit" in bad.content.decode()
    client.post(
        "/accounts/settings/",
        {
            "display_name": "Alice L.",
            "bio": "Reads papers.",
            "orcid": "https://orcid.org/0000-0002-1825-0097",
        },
    )
    author.refresh_from_db()
    assert (author.display_name, author.orcid) == ("Alice L.", "0000-0002-1825-0097")
    assert author.email_on_comments is False  # unticked box
    profile = client.get("/user/alice/").content.decode()
    assert 'href="https://orcid.org/0000-0002-1825-0097"' in profile
    assert "Reads papers." in profile


@pytest.mark.parametrize(
    ("orcid", "ok"),
    [
        ("0000-0002-1825-0097", True),
        ("0000-0001-5109-3700", True),
        ("0000-0002-1694-233X", True),
        ("0000-0002-1694-2330", False),
    ],
)
def test_orcid_check_digit(orcid, ok):
    assert orcid_checksum_ok(orcid) is ok


def test_settings_need_a_login(client, db):
    assert client.get("/accounts/settings/")["Location"].startswith("/accounts/login/")


def test_export_summaries_as_csv_and_json(client, paper, author, stranger):
    make_summary(paper, author, 'Line one,\nline "two".', is_private=True)
    make_summary(make_paper("conf/x/Other"), stranger, "not mine")
    client.force_login(author)
    response = client.get("/accounts/export/summaries.csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="shortscience-alice-summaries.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert rows[0]["paper_key"] == "conf/nips/RenHGS15"
    assert rows[0]["source"] == 'Line one,\nline "two".'
    assert rows[0]["is_private"] == "True"
    data = json.loads(client.get("/accounts/export/summaries.json").content)
    assert [s["paper_key"] for s in data["summaries"]] == ["conf/nips/RenHGS15"]
    assert data["summaries"][0]["created"]
    client.logout()
    assert client.get("/accounts/export/summaries.json").status_code == 302


def _leave_traces(paper, author, stranger):
    public = make_summary(paper, author, "public words")
    private = make_summary(make_paper("conf/x/P"), author, "private words", is_private=True)
    theirs = make_summary(make_paper("conf/x/T"), stranger, "their words")
    Vote.objects.create(summary=theirs, user=author, value=1)
    Summary.objects.filter(pk=theirs.pk).update(score=1)
    Comment.objects.create(summary=theirs, author=author, source="my comment")
    Summary.objects.filter(pk=theirs.pk).update(comment_count=1)
    return public, private, theirs


def test_deleting_an_account_keeps_public_summaries_as_anonymous(client, paper, author, stranger):
    public, private, theirs = _leave_traces(paper, author, stranger)
    client.force_login(author)
    assert client.post("/accounts/delete/", {"password": "wrong"}).status_code == 200
    response = client.post("/accounts/delete/", {"password": "correct horse battery"})
    assert response.status_code == 302
    assert not User.objects.filter(username="alice").exists()
    assert not client.get("/").wsgi_request.user.is_authenticated
    public.refresh_from_db()
    assert public.author is None
    assert not Summary.objects.filter(pk=private.pk).exists()
    theirs.refresh_from_db()
    assert (theirs.score, theirs.comment_count) == (0, 0)
    assert not Comment.objects.exists() and not Vote.objects.exists()
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "public words" in page and "Anonymous" in page and "Alice" not in page


def test_deleting_an_account_can_take_the_public_summaries_too(client, paper, author, stranger):
    _leave_traces(paper, author, stranger)
    client.force_login(author)
    client.post(
        "/accounts/delete/", {"password": "correct horse battery", "delete_summaries": "on"}
    )
    assert list(Summary.objects.values_list("source", flat=True)) == ["their words"]
    paper.refresh_from_db()
    assert paper.public_summary_count == 0


def test_header_links_for_guests_and_members(client, author):
    page = client.get("/").content.decode()
    assert 'href="/accounts/signup/"' in page
    client.force_login(author)
    page = client.get("/").content.decode()
    assert 'href="/accounts/settings/"' in page and "Log out" in page


def test_export_the_summarized_papers_as_bibtex(client, paper, author, stranger):
    from papers.bibtex import parse_bibtex

    make_summary(paper, author, "mine")
    # An original entry that still reads back as the paper is exported as it was kept.
    kept = make_paper(
        "conf/icml/GalG16",
        title="Dropout as a Bayesian Approximation",
        year=2016,
        authors=["Yarin Gal", "Zoubin Ghahramani"],
        bibtex=(
            "@inproceedings{conf/icml/GalG16,\n"
            "  author = {Yarin Gal and Zoubin Ghahramani},\n"
            "  title = {Dropout as a {B}ayesian Approximation},\n"
            "  year = {2016},\n}"
        ),
    )
    make_summary(kept, author, "also mine", is_private=True)
    make_summary(make_paper("conf/x/NotMine"), stranger, "theirs")
    client.force_login(author)
    response = client.get("/accounts/export/papers.bib")
    assert response["Content-Type"].startswith("text/x-bibtex")
    assert 'filename="shortscience-alice-papers.bib"' in response["Content-Disposition"]
    parsed = parse_bibtex(response.content.decode())
    assert parsed.errors == []
    by_key = {entry.key: entry for entry in parsed.entries}
    assert sorted(by_key) == ["conf/icml/GalG16", "conf/nips/RenHGS15"]
    assert by_key["conf/nips/RenHGS15"].title.startswith("Faster R-CNN")
    assert by_key["conf/nips/RenHGS15"].authors[0] == "Shaoqing Ren"
    assert by_key["conf/nips/RenHGS15"].arxiv_id == "1506.01497"
    assert "Dropout as a {B}ayesian Approximation" in response.content.decode()


def _mail_server_down(monkeypatch):
    from django.core.mail.backends import locmem

    def refuse(self, messages):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)


def test_sign_up_works_when_the_mail_server_is_down(client, db, monkeypatch):
    _mail_server_down(monkeypatch)
    response = client.post("/accounts/signup/", SIGNUP, follow=True)
    assert "We sent an e-mail to" in response.content.decode()
    assert response.wsgi_request.user.username == "new-reader_1"
    # The e-mail waits in the queue for the server to come back.
    from accounts.models import OutgoingMessage

    waiting = OutgoingMessage.objects.get(kind="confirmation")
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    assert "no mail server" in waiting.last_error


def test_a_comment_is_posted_when_the_mail_server_is_down(
    client, summary, stranger, monkeypatch, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=summary.author_id).update(email_confirmed=True)
    _mail_server_down(monkeypatch)
    client.force_login(stranger)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/summaries/{summary.pk}/comments/", {"source": "still here"})
    assert response.status_code == 302
    assert Comment.objects.get().source == "still here"


def test_a_filled_in_honeypot_creates_no_account(client, db):
    from accounts.models import User

    response = client.post(
        "/accounts/signup/",
        {
            "username": "botty",
            "email": "bot@example.org",
            "password1": "a long good passphrase",
            "password2": "a long good passphrase",
            "website": "http://spam.example",
        },
    )
    assert response.status_code == 200
    assert "This form could not be accepted." in response.content.decode()
    assert not User.objects.filter(username="botty").exists()
    assert 'class="honeypot" aria-hidden="true"' in client.get("/accounts/signup/").content.decode()


def test_sign_ups_are_throttled_per_address(client, db, settings):
    from django.core.cache import cache

    from accounts.models import User

    cache.clear()
    settings.SIGNUPS_PER_ADDRESS = 2
    for n in range(3):
        response = type(client)().post(
            "/accounts/signup/",
            {
                "username": f"newbie{n}",
                "email": f"newbie{n}@example.org",
                "password1": "a long good passphrase",
                "password2": "a long good passphrase",
            },
        )
    assert response.status_code == 429
    assert "Too many new accounts from your network" in response.content.decode()
    assert User.objects.filter(username__startswith="newbie").count() == 2
    cache.clear()
