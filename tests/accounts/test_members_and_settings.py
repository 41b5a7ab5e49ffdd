import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from accounts.platform.models import Membership, Role, Tenant
from accounts.platform.tenancy import activate
from tests.factories import UserFactory


def test_an_admin_adds_a_new_person_who_gets_an_invitation(
    world_a, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world_a.admin).post(
            "/alpha/settings/members/",
            {
                "email": "New.Person@Example.com",
                "first_name": "New",
                "last_name": "Person",
                "role": Role.FINANCE,
            },
        )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="new.person@example.com")
    assert not user.has_usable_password()
    with activate(world_a.tenant):
        assert Membership.objects.get(user=user).role == Role.FINANCE
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    assert "Alpha Training" in mail.outbox[0].subject and "/reset/" in mail.outbox[0].body


def test_an_existing_user_is_added_without_a_new_account(
    world_a, world_b, client_for, django_capture_on_commit_callbacks
):
    users = get_user_model().objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world_a.admin).post(
            "/alpha/settings/members/", {"email": world_b.viewer.email, "role": Role.VIEWER}
        )
    assert response.status_code == 302
    with activate(world_a.tenant):
        assert Membership.objects.filter(user=world_b.viewer).exists()
    assert get_user_model().objects.count() == users
    # A notice that they have access (no password link), so the page can answer as for anyone.
    (notice,) = mail.outbox
    assert notice.to == [world_b.viewer.email] and "/reset/" not in notice.body


def test_adding_a_member_twice_is_explained(world_a, client_for):
    response = client_for(world_a.admin).post(
        "/alpha/settings/members/", {"email": world_a.staff.email, "role": Role.ADMIN}
    )
    assert response.status_code == 422
    assert "already a member" in response.content.decode()


def test_the_last_admin_cannot_be_demoted_or_removed(world_a, client_for):
    client = client_for(world_a.admin)
    with activate(world_a.tenant):
        mine = Membership.objects.get(user=world_a.admin)
    response = client.post(
        f"/alpha/settings/members/{mine.pk}/role/", {"role": Role.STAFF}, follow=True
    )
    assert "last admin" in response.content.decode()
    response = client.post(f"/alpha/settings/members/{mine.pk}/remove/", follow=True)
    assert "last admin" in response.content.decode(), "refused before asking"
    client.post(f"/alpha/settings/members/{mine.pk}/remove/", {"confirmed": "1"})
    with activate(world_a.tenant):
        assert Membership.objects.get(pk=mine.pk).role == Role.ADMIN


def test_an_admin_changes_a_role_and_removes_a_member(world_a, client_for):
    client = client_for(world_a.admin)
    with activate(world_a.tenant):
        staff = Membership.objects.get(user=world_a.staff)
        viewer = Membership.objects.get(user=world_a.viewer)
    client.post(f"/alpha/settings/members/{staff.pk}/role/", {"role": Role.ADMIN})
    question = client.post(f"/alpha/settings/members/{viewer.pk}/remove/").content.decode()
    assert f"Remove {world_a.viewer.email} (viewer) from Alpha Training?" in question
    with activate(world_a.tenant):
        assert Membership.objects.filter(pk=viewer.pk).exists(), "nothing happens unconfirmed"
    client.post(f"/alpha/settings/members/{viewer.pk}/remove/", {"confirmed": "1"})
    with activate(world_a.tenant):
        assert Membership.objects.get(pk=staff.pk).role == Role.ADMIN
        assert not Membership.objects.filter(pk=viewer.pk).exists()
    assert client_for(world_a.viewer).get("/alpha/").status_code == 404


def test_an_admin_edits_the_company_settings(world_a, client_for):
    response = client_for(world_a.admin).post(
        "/alpha/settings/",
        {
            "name": "Alpha Training Ltd",
            "base_currency": "GBP",
            "country": "GB",
            "address": "1 Road",
            "vat_number": "GB 980 7806 84",
            "invoice_prefix": "AT-",
            "credit_note_prefix": "ATC-",
            "payment_terms_days": "14",
            "default_tax_rate": "20",
        },
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=world_a.tenant.pk)
    assert (tenant.name, tenant.base_currency, tenant.payment_terms_days) == (
        "Alpha Training Ltd",
        "GBP",
        14,
    )
    assert tenant.vat_number == "GB980780684"  # checked and written compactly


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("credit_note_prefix", "INV-", "different prefixes"),
        ("invoice_prefix", "IN V", "letters, digits"),
        ("default_tax_rate", "120", "less than or equal to 100"),
    ],
)
def test_bad_company_settings_are_explained_and_not_saved(
    world_a, client_for, field, value, message
):
    data = {
        "name": "Alpha",
        "base_currency": "EUR",
        "invoice_prefix": "INV-",
        "credit_note_prefix": "CN-",
        "payment_terms_days": "30",
        "default_tax_rate": "20",
        field: value,
    }
    response = client_for(world_a.admin).post("/alpha/settings/", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Tenant.objects.get(pk=world_a.tenant.pk).name == "Alpha Training"


def test_an_unknown_role_is_refused(world_a, client_for):
    UserFactory(username="outsider@example.com")
    response = client_for(world_a.admin).post(
        "/alpha/settings/members/", {"email": "outsider@example.com", "role": "superuser"}
    )
    assert response.status_code == 422
    with activate(world_a.tenant):
        assert not Membership.objects.filter(user__username="outsider@example.com").exists()
