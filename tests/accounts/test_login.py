import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from tests.factories import MembershipFactory, TenantFactory

PASSWORD = "correct-horse-battery"


def login(username, password, address="10.0.0.1"):
    client = Client(REMOTE_ADDR=address)
    response = client.post("/login/", {"username": username, "password": password})
    return client, response


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_six_failed_logins_lock_that_user_out_from_that_address_only(world_a):
    victim, colleague = world_a.staff.username, world_a.finance.username
    for _ in range(6):
        client, response = login(victim, "wrong", address="10.0.0.1")
        assert not logged_in(client)
    client, response = login(victim, PASSWORD, address="10.0.0.1")
    assert not logged_in(client)
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()

    client, _ = login(colleague, PASSWORD, address="10.0.0.1")
    assert logged_in(client), "another user on the same address can still log in"
    client, _ = login(victim, PASSWORD, address="10.9.9.9")
    assert logged_in(client), "the same user from another address can still log in"


def test_five_failed_logins_do_not_lock_anyone_out(world_a):
    for _ in range(5):
        login(world_a.staff.username, "wrong")
    client, _ = login(world_a.staff.username, PASSWORD)
    assert logged_in(client)


def test_a_user_with_one_membership_lands_on_its_dashboard(world_a):
    client, response = login(world_a.staff.username, PASSWORD)
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/alpha/"


def test_a_user_with_several_memberships_picks_a_company(world_a):
    second = TenantFactory(slug="second", name="Second Company")
    MembershipFactory(tenant=second, user=world_a.staff)
    client, _ = login(world_a.staff.username, PASSWORD)
    page = client.get("/").content.decode()
    assert "Choose a company" in page and "Second Company" in page and "Alpha Training" in page


def test_a_user_without_membership_is_told_so(db):
    from tests.factories import UserFactory

    user = UserFactory()
    client, _ = login(user.username, PASSWORD)
    assert "not a member of any company" in client.get("/").content.decode()


def test_sessions_end_after_a_working_day_or_when_the_browser_closes():
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_password_reset_sends_an_email(world_a, client):
    client.post("/password_reset/", {"email": world_a.staff.email})
    assert len(mail.outbox) == 1
    assert "/reset/" in mail.outbox[0].body


def test_logout_needs_a_post_and_ends_the_session(world_a, client_for):
    client = client_for(world_a.staff)
    client.post("/logout/")
    assert client.get("/alpha/").status_code == 302


@pytest.mark.parametrize("page", ["/login/", "/alpha/accounts/"])
def test_pages_carry_a_content_security_policy(world_a, client_for, page):
    response = client_for(world_a.staff).get(page)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy


def test_the_email_address_logs_in_whatever_its_case(world_a):
    """Everyone logs in with an e-mail address, and Sam.Staff@… is sam.staff@…"""
    typed = world_a.staff.username.upper()
    client, _ = login(typed, PASSWORD)
    assert logged_in(client)


def test_the_login_form_asks_for_an_email_address(client, db):
    page = client.get("/login/").content.decode()
    assert "E-mail" in page and 'type="email"' in page
    assert "Username" not in page


def test_failed_logins_count_per_address_whatever_its_case(world_a):
    victim = world_a.staff.username
    for attempt in range(6):
        spelling = victim.upper() if attempt % 2 else victim
        login(spelling, "wrong", address="10.0.0.7")
    client, response = login(victim.title(), PASSWORD, address="10.0.0.7")
    assert not logged_in(client)
    assert response.status_code == 429
