from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.platform.models import Membership, Role, Tenant
from accounts.platform.tenancy import activate


def test_create_tenant_makes_the_company_and_its_first_admin(db):
    out = StringIO()
    call_command(
        "create_tenant",
        "--name",
        "Acme Training",
        "--slug",
        "acme",
        "--admin-email",
        "Boss@Acme.example",
        "--currency",
        "gbp",
        stdout=out,
    )
    tenant = Tenant.objects.get(slug="acme")
    assert tenant.base_currency == "GBP"
    with activate(tenant):
        membership = Membership.objects.select_related("user").get()
    assert membership.role == Role.ADMIN and membership.user.email == "boss@acme.example"
    printed_password = out.getvalue().split("Password: ")[1].split()[0]
    assert membership.user.check_password(printed_password)


def test_create_tenant_explains_a_bad_currency(db):
    with pytest.raises(CommandError, match="ISO 4217"):
        call_command(
            "create_tenant",
            "--name",
            "X",
            "--slug",
            "x",
            "--admin-email",
            "x@example.com",
            "--currency",
            "XYZ",
            stdout=StringIO(),
        )
    assert not Tenant.objects.exists()


def test_add_member_runs_in_the_named_tenant_and_invites_a_new_person(
    world_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "add_member",
            "--tenant",
            "alpha",
            "--email",
            "new@alpha.example",
            "--role",
            "finance",
            stdout=out,
        )
    with activate(world_a.tenant):
        assert Membership.objects.get(user__email="new@alpha.example").role == Role.FINANCE
    assert mail.outbox[0].to == ["new@alpha.example"]
    assert "invitation queued" in out.getvalue()


def test_a_tenant_command_names_the_known_companies_when_the_slug_is_wrong(world_a):
    with pytest.raises(CommandError, match="Known: alpha"):
        call_command(
            "add_member", "--tenant", "nope", "--email", "x@example.com", stdout=StringIO()
        )
