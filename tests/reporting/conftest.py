import datetime
from decimal import Decimal

import pytest

from accounts.platform.tenancy import activate
from agreements import services as agreement_services
from invoicing import services
from invoicing.models import ExchangeRate
from projects.models import Registration
from tests.factories import (
    AccountFactory,
    EventFactory,
    ItemFactory,
    PrepurchaseFactory,
    PriceListFactory,
    ProjectFactory,
)
from tests.invoicing.conftest import act, billing, in_billing_tenant  # noqa: F401

MARCH, APRIL = datetime.date(2026, 3, 10), datetime.date(2026, 4, 10)


def registration(project, event, **fields):
    values = {
        "tenant": project.tenant,
        "project": project,
        "event": event,
        "places": 1,
        "requested_date": event.start_date,
        "status": "delivered",
    }
    values.update(fields)
    return Registration.objects.create(**values)


@pytest.fixture
def books(world_a):
    tenant = world_a.tenant  # base currency EUR
    customer = AccountFactory(tenant=tenant, name="Kestrel Aerospace")
    euro = ProjectFactory(
        account=customer,
        code="PR-EUR",
        currency="EUR",
        revenue_recognition="on_invoice",
        handling_fee_percent=Decimal("10"),
    )
    pound = ProjectFactory(
        account=customer, code="PR-GBP", currency="GBP", revenue_recognition="on_delivery"
    )
    march = EventFactory(
        project=euro,
        start_date=MARCH,
        end_date=MARCH,
        status="delivered",
        trainer_fee=Decimal("500"),
        venue_cost=Decimal("100"),
    )
    april = EventFactory(
        project=pound,
        start_date=APRIL,
        end_date=APRIL,
        status="delivered",
        trainer_fee=Decimal("300"),
    )
    FUTURE = datetime.date(2099, 4, 10)
    EventFactory(
        project=euro,
        start_date=FUTURE,
        end_date=FUTURE,
        status="planned",
        trainer_fee=Decimal("999"),
    )  # planned and not yet run: no cost yet
    # Two places at 1,000 less 10 %: net 900 each, unit cost 200 each.
    first, second = (
        registration(
            euro,
            march,
            unit_price=Decimal("1000"),
            discount_percent=Decimal("10"),
            net_amount=Decimal("900"),
            unit_cost=Decimal("200"),
        )
        for _ in range(2)
    )
    # One place at 500 paid from a prepurchase agreement, unit cost 100; an item of 50, cost 10.
    fund = PrepurchaseFactory(
        account=customer, price_list=PriceListFactory(tenant=tenant, currency="GBP")
    )
    with activate(tenant):
        agreement_services.prepurchase_charge(
            tenant=tenant, by=None, agreement=fund, amount="2000", on_date=MARCH
        )
    prepaid = registration(
        pound,
        april,
        unit_price=Decimal("500"),
        net_amount=Decimal("500"),
        unit_cost=Decimal("100"),
        prepurchase=fund,
    )
    ItemFactory(
        project=pound,
        date=APRIL,
        quantity=Decimal("1"),
        unit_price=Decimal("50"),
        net_amount=Decimal("50"),
        unit_cost=Decimal("10"),
    )
    ExchangeRate.objects.create(
        tenant=tenant, currency="GBP", date=datetime.date(2026, 1, 1), rate=Decimal("1.2")
    )
    # Issuing takes a rate at most 7 days old (invoicing settings): the same rate, at the issue.
    ExchangeRate.objects.create(
        tenant=tenant, currency="GBP", date=datetime.date(2026, 4, 20), rate=Decimal("1.2")
    )
    with activate(tenant):
        (invoice,) = services.drafts_create(
            tenant=tenant, by=None, project=euro, registration_ids=[first.pk, second.pk]
        )
        invoice = services.invoice_issue(
            tenant=tenant, by=None, invoice=invoice, on_date=datetime.date(2026, 3, 15)
        )
        line = invoice.lines.get(registration=second)
        services.invoice_credit(
            tenant=tenant, by=None, invoice=invoice, line_ids=[line.pk], reason="No-show"
        )
        (prepaid_invoice,) = services.drafts_create(
            tenant=tenant, by=None, project=pound, registration_ids=[prepaid.pk]
        )
        services.invoice_issue(
            tenant=tenant, by=None, invoice=prepaid_invoice, on_date=datetime.date(2026, 4, 20)
        )
    return tenant
