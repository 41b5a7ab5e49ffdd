"""Members are added by e-mail through `membership_add`, and no page tells whether an address
belongs to a user of the platform already (cross-tenant user enumeration)."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts.platform.models import AuditEntry, Membership, Role
from accounts.platform.tenancy import activate
from tests.factories import UserFactory

MEMBERS = "/alpha/settings/members/"


def _messages(response):
    return [str(message) for message in response.context["messages"]]


def _add(client, url, email, capture, **extra):
    with capture(execute=True):
        response = client.post(url, {"email": email, "role": Role.STAFF, **extra})
    follow = client.get(response["Location"]) if response.status_code == 302 else None
    return response, follow


def test_the_members_page_answers_the_same_for_a_known_and_an_unknown_address(
    world_a, world_b, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world_a.admin)
    known = world_b.finance.email
    unknown = "nobody.yet@example.org"
    answers = {}
    for email in (known, unknown):
        response, page = _add(client, MEMBERS, email, django_capture_on_commit_callbacks)
        answers[email] = (
            response.status_code,
            response["Location"],
            [text.replace(email, "<email>") for text in _messages(page)],
        )
    assert answers[known] == answers[unknown]
    assert answers[known][2] == ["We have sent <email> an invitation to join Alpha Training."]
    with activate(world_a.tenant):
        assert Membership.objects.filter(user__email__in=[known, unknown]).count() == 2


def test_a_known_user_gets_a_notice_and_a_new_person_a_link_to_choose_a_password(
    world_a, world_b, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world_a.admin)
    _add(client, MEMBERS, world_b.finance.email, django_capture_on_commit_callbacks)
    _add(client, MEMBERS, "new.person@example.org", django_capture_on_commit_callbacks)
    notice, invitation = mail.outbox
    assert notice.to == [world_b.finance.email] and invitation.to == ["new.person@example.org"]
    assert notice.subject == invitation.subject == "You have been invited to Alpha Training"
    assert "/reset/" not in notice.body and "/login/" in notice.body
    assert "/reset/" in invitation.body
    assert world_b.finance.has_usable_password()  # a known user's account is left alone
    with activate(world_a.tenant):
        assert AuditEntry.objects.filter(action="member added").count() == 2


def test_the_answer_repeats_the_typed_address_not_the_stored_one(
    world_a, client_for, django_capture_on_commit_callbacks
):
    UserFactory(username="Mixed.Case@Example.com")
    client = client_for(world_a.admin)
    _, page = _add(client, MEMBERS, "MIXED.case@example.com", django_capture_on_commit_callbacks)
    assert _messages(page) == [
        "We have sent mixed.case@example.com an invitation to join Alpha Training."
    ]


# --- The Django admin ---------------------------------------------------------------------------


@pytest.fixture
def admin_a(world_a, client_for):
    client = client_for(world_a.admin)
    assert client.get("/alpha/settings/admin/").status_code == 302
    return client


def test_the_admin_adds_members_by_email_with_the_same_answer(
    admin_a, world_a, world_b, django_capture_on_commit_callbacks
):
    add = reverse("admin:accounts_membership_add")
    form = admin_a.get(add).context["adminform"].form
    assert set(form.fields) == {"email", "first_name", "last_name", "role"}
    answers = {}
    for email in (world_b.viewer.email, "fresh@example.org"):
        response, page = _add(admin_a, add, email, django_capture_on_commit_callbacks)
        assert response.status_code == 302
        answers[email] = [text.replace(email, "<email>") for text in _messages(page)]
    assert answers[world_b.viewer.email] == answers["fresh@example.org"]
    assert answers["fresh@example.org"] == [
        "We have sent <email> an invitation to join Alpha Training."
    ]
    sent_to = [message.to for message in mail.outbox]
    assert sent_to == [[world_b.viewer.email], ["fresh@example.org"]]
    with activate(world_a.tenant):
        assert Membership.objects.filter(user=world_b.viewer, role=Role.STAFF).exists()
        assert AuditEntry.objects.filter(action="member added").count() == 2
    assert not get_user_model().objects.get(email="fresh@example.org").has_usable_password()


def test_the_admin_explains_a_member_added_twice(admin_a, world_a):
    response = admin_a.post(
        reverse("admin:accounts_membership_add"), {"email": world_a.staff.email, "role": "admin"}
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()


def test_the_admin_never_changes_the_person_of_a_membership(admin_a, world_a, world_b):
    with activate(world_a.tenant):
        viewer = Membership.objects.get(user=world_a.viewer)
    change = reverse("admin:accounts_membership_change", args=[viewer.pk])
    assert "user" not in admin_a.get(change).context["adminform"].form.fields
    response = admin_a.post(change, {"user": world_b.admin.pk, "role": Role.FINANCE})
    assert response.status_code == 302
    with activate(world_a.tenant):
        viewer.refresh_from_db()
        assert (viewer.user, viewer.role) == (world_a.viewer, Role.FINANCE)
        assert not Membership.objects.filter(user=world_b.admin).exists()


def test_a_superuser_adds_a_member_to_any_company(world_a, world_b, client_for):
    root = UserFactory(is_superuser=True, is_staff=True)
    client = client_for(root)
    response = client.post(
        reverse("admin:accounts_membership_add"),
        {"tenant": world_b.tenant.pk, "email": world_a.staff.email, "role": Role.VIEWER},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with activate(world_b.tenant):
        assert Membership.objects.get(user=world_a.staff).role == Role.VIEWER
