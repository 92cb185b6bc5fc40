"""Issue 16, items 17 to 19: log-in throttles that stop guessing without locking out the owner
or a whole network, reset mail that cannot be used to flood a mailbox or point elsewhere, and a
sign-up that does not tell which addresses are registered."""

import re

from django.test import Client

from accounts import throttling
from accounts.models import User

PASSWORD = "correct horse battery"


def _log_in(client, login, password=PASSWORD):
    return client.post("/accounts/login/", {"username": login, "password": password})


def _logged_in_as(client):
    user = client.get("/about/").wsgi_request.user
    return user.username if user.is_authenticated else None


def _reset_password(mailoutbox, new_password, *, client=None):
    """Ask for a reset link and follow it in `client` (a fresh browser by default)."""
    client = client or Client(REMOTE_ADDR="192.0.2.50")
    count = len(mailoutbox)
    client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert len(mailoutbox) == count + 1
    path = re.search(r"http://127\.0\.0\.1:8000(\S+)", mailoutbox[-1].body).group(1)
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    return client


# Item 17 ------------------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_only_from_that_address(author):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for login in ["alice", "ALICE", "alice@example.org", "Alice@Example.org", "alice"]:
        assert "Please enter a correct" in _log_in(attacker, login, "guess").content.decode()
    page = _log_in(attacker, "alice").content.decode()  # even the right password waits
    assert "Too many failed log-ins for this account from here" in page
    assert _logged_in_as(attacker) is None
    # The owner, elsewhere, logs in as usual with the right password.
    owner = Client(REMOTE_ADDR="198.51.100.7")
    assert _log_in(owner, "alice").status_code == 302
    assert _logged_in_as(owner) == "alice"


def test_failures_on_many_accounts_do_not_lock_out_the_others_at_that_address(author):
    office = Client(REMOTE_ADDR="203.0.113.10")
    for i in range(40):
        _log_in(office, f"nobody{i}", "guess")
    colleague = Client(REMOTE_ADDR="203.0.113.10")
    assert _log_in(colleague, "alice").status_code == 302
    assert _logged_in_as(colleague) == "alice"


def test_a_generous_ceiling_per_address_still_holds(db, author):
    scanner = Client(REMOTE_ADDR="203.0.113.11")
    for i in range(throttling.PER_ADDRESS):
        _log_in(scanner, f"nobody{i}", "guess")
    newcomer = Client(REMOTE_ADDR="203.0.113.11")
    page = _log_in(newcomer, "alice").content.decode()
    assert "Too many failed log-ins from your network" in page
    assert _logged_in_as(newcomer) is None


def test_behind_a_proxy_one_visitor_cannot_lock_out_the_site(settings, author, mailoutbox):
    """Without TRUST_X_FORWARDED_FOR every visitor has the proxy's address."""
    settings.TRUST_X_FORWARDED_FOR = False
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    returning = Client(**proxy)
    assert _log_in(returning, "alice").status_code == 302
    returning.post("/accounts/logout/")
    User.objects.create_user("bob", "bob@example.org", PASSWORD)

    attacker = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.66")
    for i in range(throttling.PER_ADDRESS):
        _log_in(attacker, ["alice", "bob", f"nobody{i}"][i % 3], "guess")
    assert "Too many failed log-ins" in _log_in(attacker, "alice").content.decode()

    # A reader who logged in from this browser before is judged by its own failures.
    assert _log_in(returning, "alice").status_code == 302
    assert _logged_in_as(returning) == "alice"
    # A first log-in from a new browser waits, and is told how to get in now...
    newcomer = Client(**proxy)
    page = _log_in(newcomer, "alice").content.decode()
    assert "reset your password" in page
    # ...which works: a completed reset lets that browser in at once.
    _reset_password(mailoutbox, "a new long passphrase", client=newcomer)
    assert _log_in(newcomer, "alice", "a new long passphrase").status_code == 302
    assert _logged_in_as(newcomer) == "alice"


def test_a_successful_reset_clears_the_accounts_lock(author, mailoutbox):
    shared = {"REMOTE_ADDR": "203.0.113.12"}
    attacker = Client(**shared)
    for _ in range(throttling.PER_ACCOUNT_AND_ADDRESS):
        _log_in(attacker, "alice", "guess")
    laptop = Client(**shared)
    assert "Too many failed log-ins" in _log_in(laptop, "alice").content.decode()
    _reset_password(mailoutbox, "a new long passphrase")  # on her phone, elsewhere
    assert _log_in(laptop, "alice", "a new long passphrase").status_code == 302
    assert _logged_in_as(laptop) == "alice"


def test_a_trusted_browser_is_still_throttled_by_its_own_failures(author):
    browser = Client(REMOTE_ADDR="203.0.113.13")
    assert _log_in(browser, "alice").status_code == 302
    browser.post("/accounts/logout/")
    for _ in range(throttling.PER_DEVICE):
        _log_in(browser, "alice", "guess")
    assert "Too many failed log-ins" in _log_in(browser, "alice").content.decode()
    assert _logged_in_as(browser) is None


def test_a_forged_device_cookie_is_ignored(author):
    attacker = Client(REMOTE_ADDR="203.0.113.14")
    attacker.cookies[throttling.DEVICE_COOKIE] = '{"d": "x", "u": [1, 2, 3]}'
    for _ in range(throttling.PER_ACCOUNT_AND_ADDRESS):
        _log_in(attacker, "alice", "guess")
    assert "Too many failed log-ins" in _log_in(attacker, "alice").content.decode()


def test_the_device_cookie_is_http_only_and_signed(author):
    browser = Client()
    response = _log_in(browser, "alice")
    cookie = response.cookies[throttling.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    tampered = cookie.value.replace(cookie.value[-3:], "abc")
    other = Client(REMOTE_ADDR="203.0.113.15")
    other.cookies[throttling.DEVICE_COOKIE] = tampered
    assert throttling.trusted_device(other.get("/about/").wsgi_request, f"u{author.pk}") is None
    browser_request = browser.get("/about/").wsgi_request
    assert throttling.trusted_device(browser_request, f"u{author.pk}")


# Item 18 ------------------------------------------------------------------------------------


def test_reset_mail_is_limited_per_mailbox_and_the_page_says_the_same(author, mailoutbox):
    for n in range(8):
        client = Client(REMOTE_ADDR=f"203.0.113.{20 + n}")
        response = client.post(
            "/accounts/password/reset/", {"email": "alice@example.org"}, follow=True
        )
        assert "Check your e-mail" in response.content.decode()
    from accounts.passwordreset import MAILS_PER_ADDRESS

    assert len(mailoutbox) == MAILS_PER_ADDRESS


def test_reset_requests_are_limited_per_client(db, mailoutbox):
    from accounts.passwordreset import REQUESTS_PER_CLIENT

    client = Client(REMOTE_ADDR="203.0.113.40")
    for n in range(REQUESTS_PER_CLIENT):
        response = client.post("/accounts/password/reset/", {"email": f"x{n}@example.org"})
        assert response.status_code == 302
    response = client.post("/accounts/password/reset/", {"email": "y@example.org"})
    assert response.status_code == 429
    assert "Too many reset requests from your network" in response.content.decode()


def test_reset_links_use_the_site_url_never_the_request_host(settings, author, mailoutbox):
    settings.SITE_URL = "https://shortscience.example"
    settings.ALLOWED_HOSTS = ["*"]
    Client(HTTP_HOST="evil.example:8443").post(
        "/accounts/password/reset/", {"email": "alice@example.org"}
    )
    body = mailoutbox[0].body
    assert re.search(r"https://shortscience\.example/accounts/password/reset/\S+/\S+/", body)
    assert "evil.example" not in body and "8443" not in body


# Item 19 ------------------------------------------------------------------------------------


def _sign_up(email, username):
    client = Client(REMOTE_ADDR="198.51.100.30")
    response = client.post(
        "/accounts/signup/",
        {
            "username": username,
            "email": email,
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        },
        follow=True,
    )
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return (
        response.redirect_chain,
        re.sub(rf"{username}|{re.escape(email)}", "X", page, flags=re.I),
        client,
    )


def test_sign_up_answers_the_same_for_a_registered_address_and_tells_its_owner(author, mailoutbox):
    fresh_chain, fresh_page, _ = _sign_up("fresh@example.org", "newcomer1")
    taken_chain, taken_page, squatter = _sign_up("Alice@Example.org", "newcomer2")
    assert taken_chain == fresh_chain
    assert taken_page == fresh_page
    assert "We sent an e-mail to X" in taken_page
    # The owner is told, and no confirmation link for the newcomer reaches her mailbox.
    to_alice = [m for m in mailoutbox if m.to == ["alice@example.org"]]
    assert len(to_alice) == 1
    assert "newcomer2" in to_alice[0].body and "/accounts/confirm/" not in to_alice[0].body
    assert "http://127.0.0.1:8000/accounts/password/reset/" in to_alice[0].body
    assert not User.objects.get(username="newcomer2").email_confirmed
    # Her address still logs her in, not the newcomer.
    owner = Client()
    assert _log_in(owner, "alice@example.org").status_code == 302
    assert _logged_in_as(owner) == "alice"
    assert _logged_in_as(squatter) == "newcomer2"


def test_a_confirmed_address_belongs_to_its_confirmed_account(author):
    User.objects.filter(pk=author.pk).update(email_confirmed=True)
    User.objects.create_user("early-bird", "ALICE@example.org", PASSWORD)
    # Even an older account with the same address does not take alice's e-mail log-in.
    User.objects.filter(username="early-bird").update(date_joined="2000-01-01T00:00:00Z")
    client = Client()
    assert _log_in(client, "alice@example.org").status_code == 302
    assert _logged_in_as(client) == "alice"


def test_sign_ups_count_only_accounts_created(db, settings):
    settings.SIGNUPS_PER_ADDRESS = 2
    client = Client(REMOTE_ADDR="198.51.100.31")
    for n in range(5):  # typos use up nothing
        client.post("/accounts/signup/", {"username": f"u{n}", "email": "bad"})
    for n in range(2):
        assert (
            Client(REMOTE_ADDR="198.51.100.31")
            .post(
                "/accounts/signup/",
                {
                    "username": f"ok{n}",
                    "email": f"ok{n}@example.org",
                    "password1": "a long good passphrase",
                    "password2": "a long good passphrase",
                },
            )
            .status_code
            == 302
        )
    assert client.post("/accounts/signup/", {"username": "more"}).status_code == 429


def test_asking_again_for_a_confirmation_of_someone_elses_address_sends_them_no_link(
    author, mailoutbox
):
    _, _, squatter = _sign_up("alice@example.org", "newcomer3")
    squatter.post("/accounts/confirm-again/")
    to_alice = [m.body for m in mailoutbox if m.to == ["alice@example.org"]]
    assert len(to_alice) == 2
    assert not any("/accounts/confirm/" in body for body in to_alice)


def test_an_untrusted_proxy_is_reported_in_the_log(settings, author, caplog, monkeypatch):
    from shortscience import ratelimit

    settings.TRUST_X_FORWARDED_FOR = False
    monkeypatch.setattr(ratelimit, "_warned_about_proxy", False)
    _log_in(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.80"), "alice", "x")
    assert "TRUST_X_FORWARDED_FOR is off" in caplog.text
