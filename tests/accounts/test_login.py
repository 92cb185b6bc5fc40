from django.utils import timezone

from accounts.models import User


def _log_in(client, login, password="correct horse battery"):
    return client.post("/accounts/login/", {"username": login, "password": password})


def test_log_in_by_username_in_any_case_or_by_email(client, author):
    for login in ["alice", "ALICE", "alice@example.org", "Alice@Example.org"]:
        client.logout()
        response = _log_in(client, login)
        assert response.status_code == 302, login
        assert client.get("/").wsgi_request.user == author


def test_wrong_password_is_refused_with_a_message(client, author):
    response = _log_in(client, "alice", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_banned_user_cannot_log_in_and_is_told_the_account_is_suspended(client, author, settings):
    settings.MODERATORS_EMAIL = "mods@example.org"
    User.objects.filter(pk=author.pk).update(banned_at=timezone.now(), ban_reason="spam links")
    response = _log_in(client, "alice")
    assert response.status_code == 200
    page = response.content.decode()
    assert "This account is suspended" in page
    assert "“spam links”" in page
    assert '<a href="mailto:mods@example.org">mods@example.org</a>' in page
    assert "Please enter a correct" not in page
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_a_wrong_password_on_a_banned_account_reveals_no_suspension(client, author):
    User.objects.filter(pk=author.pk).update(banned_at=timezone.now(), ban_reason="spam")
    page = _log_in(client, "alice", "wrong").content.decode()
    assert "Please enter a correct username and password" in page
    assert "suspended" not in page


def test_ban_ends_an_existing_session_at_the_next_request(client, author):
    client.force_login(author)
    assert client.get("/").wsgi_request.user.is_authenticated
    User.objects.filter(pk=author.pk).update(banned_at=timezone.now(), ban_reason="spam")
    response = client.get("/")
    assert not response.wsgi_request.user.is_authenticated
    assert "This account is suspended" in response.content.decode()
    assert "To appeal" in response.content.decode()
    assert not client.get("/about/").wsgi_request.user.is_authenticated


def test_log_out_only_by_post(client, author):
    client.force_login(author)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_failed_log_ins_are_throttled_per_account_and_address(client, author):
    for _ in range(5):
        assert "Please enter a correct" in _log_in(client, "alice", "wrong").content.decode()
    page = _log_in(client, "alice").content.decode()  # even the right password waits
    assert "Too many failed log-ins for this account" in page
    assert not client.get("/").wsgi_request.user.is_authenticated
    # The same account from elsewhere is not affected (tests/accounts/test_throttling.py has more).
    other = type(client)(REMOTE_ADDR="10.9.9.9")
    assert _log_in(other, "alice").status_code == 302
