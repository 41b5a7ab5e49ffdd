import datetime
from decimal import Decimal

import pytest

from accounts.platform.tenancy import activate
from projects.models import Registration, RegistrationStatus
from tests.factories import (
    AccountFactory,
    ContactFactory,
    EventFactory,
    ItemFactory,
    ProductFactory,
    ProjectFactory,
    TaxRateFactory,
)


@pytest.fixture
def billing(world_a):
    """A project with delivered registrations on two events and a billable item."""
    tenant = world_a.tenant
    account = AccountFactory(
        tenant=tenant,
        name="Meridian Health",
        address="1 High Street",
        postal_code="N1 1AA",
        city="London",
        country="GB",
        tax_id="GB999",
    )
    project = ProjectFactory(account=account, currency="EUR")
    standard = TaxRateFactory(tenant=tenant, code="STD", percent=Decimal("20"))
    exempt = TaxRateFactory(
        tenant=tenant,
        code="EXM",
        percent=Decimal("0"),
        category="E",
        exemption_reason_code="VATEX-EU-132-1I",
        exemption_reason="Exempt: vocational training",
    )
    course = ProductFactory(
        tenant=tenant, code="LEAD-101", name="First-time manager", tax_rate=standard
    )
    events = [
        EventFactory(
            project=project,
            product=course,
            title=f"Cohort {n}",
            start_date=datetime.date(2026, 3, n),
            end_date=datetime.date(2026, 3, n),
        )
        for n in (1, 2)
    ]
    learners = ContactFactory.create_batch(4, account=account)
    registrations = []
    for index, learner in enumerate(learners):
        registrations.append(
            Registration.objects.create(
                tenant=tenant,
                project=project,
                event=events[index % 2],
                learner=learner,
                requested_date=datetime.date(2026, 2, 1),
                status=RegistrationStatus.DELIVERED,
                unit_price=Decimal("1000.00"),
                discount_percent=Decimal("10"),
                net_amount=Decimal("900.00"),
                po_reference="PO-A" if index < 2 else "PO-B",
            )
        )
    item = ItemFactory(
        project=project,
        product=ProductFactory(tenant=tenant, code="EXAM", kind="fee", tax_rate=exempt),
        quantity=Decimal("2"),
        unit_price=Decimal("95.00"),
        net_amount=Decimal("190.00"),
        description="Exam fee",
    )
    return {
        "tenant": tenant,
        "world": world_a,
        "account": account,
        "project": project,
        "events": events,
        "registrations": registrations,
        "item": item,
    }


@pytest.fixture
def act(billing):
    """Run a service as the tenant's finance user: act(services.invoice_issue, invoice=...)."""

    def call(service, **kwargs):
        with activate(billing["tenant"]):
            return service(tenant=billing["tenant"], by=billing["world"].finance, **kwargs)

    return call


@pytest.fixture(autouse=True)
def in_billing_tenant(request):
    """Invoicing tests read invoices and lines directly: they run inside the tenant's scope."""
    if "billing" not in request.fixturenames:
        yield
        return
    billing = request.getfixturevalue("billing")
    with activate(billing["tenant"]):
        yield
