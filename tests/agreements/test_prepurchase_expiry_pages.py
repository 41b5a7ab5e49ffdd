"""Issue 14, part 5, as people see it: the agreement page's charges with what expired and the
Extend / Write off actions, the list's expired column, and the data migration that allocated the
uses recorded before charges expired."""

import datetime
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.platform.models import AuditEntry
from accounts.platform.tenancy import activate, scopes_disabled
from agreements import selectors, services
from agreements.models import (
    ChargeValidity,
    LedgerKind,
    PrepurchaseAllocation,
    PrepurchaseEntry,
    PrepurchaseUnit,
)
from tests.factories import AccountFactory, PrepurchaseFactory

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def ledger(world_a):
    """Units: an old charge of 10 that expired 30 days ago, 6 of it used; a current charge of 20."""
    agreement = PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant),
        unit=PrepurchaseUnit.TRAINING_UNITS,
        name="Units 2026",
        start_date=days(-400),
        end_date=days(400),
    )
    with activate(world_a.tenant):
        act = {"tenant": world_a.tenant, "by": world_a.staff, "agreement": agreement}
        old = services.prepurchase_charge(
            **act, amount="10", on_date=days(-200), expires_on=days(-30), description="first"
        )
        current = services.prepurchase_charge(
            **act, amount="20", on_date=days(-100), expires_on=days(100)
        )
        services.prepurchase_use(**act, amount="6", on_date=days(-60), reference="cohort 1")
    return {"agreement": agreement, "old": old, "current": current}


def url(agreement_or_charge, action=None):
    if action is None:
        return f"/alpha/prepurchases/{agreement_or_charge.pk}/"
    return f"/alpha/prepurchases/charges/{agreement_or_charge.pk}/{action}/"


def test_the_agreement_page_shows_each_charge_and_what_expired(world_a, client_for, ledger):
    old, current = ledger["old"], ledger["current"]
    page = client_for(world_a.staff).get(url(ledger["agreement"]))
    assert page.status_code == 200
    figures = page.context["figures"]
    assert (figures["expired"], figures["available"], figures["balance"]) == (4, 20, 24)
    html = page.content.decode()
    assert "Expired" in html and "Written off" in html
    row = html[html.index(f'data-charge="{old.pk}"') :]
    row = row[: row.index("</tr>")]
    for shown in ("10.00", "6.00", "4.00", days(-30).strftime("%-d %b %Y"), "expired"):
        assert shown in row, shown
    assert url(old, "write-off") in row and url(old, "extend") in row
    assert f"#{old.pk}: -6.00 units" in html, "the ledger shows which charge the use drew on"
    current_row = html[html.index(f'data-charge="{current.pk}"') :]
    current_row = current_row[: current_row.index("</tr>")]
    assert url(current, "extend") in current_row and url(current, "write-off") not in current_row


def test_a_viewer_sees_the_figures_without_the_actions(world_a, client_for, ledger):
    html = client_for(world_a.viewer).get(url(ledger["agreement"])).content.decode()
    assert url(ledger["old"], "write-off") not in html
    assert client_for(world_a.viewer).get(url(ledger["old"], "write-off")).status_code == 403


def test_the_list_shows_the_expired_balance(world_a, client_for, ledger):
    page = client_for(world_a.viewer).get("/alpha/prepurchases/")
    (row,) = page.context["table"].page.object_list
    assert (row.record.expired, row.record.balance) == (Decimal("4"), Decimal("24"))
    assert "4.00 units" in page.content.decode()


def test_the_agreement_page_runs_the_same_queries_for_few_or_many_rows(world_a, client_for, ledger):
    client = client_for(world_a.staff)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(ledger["agreement"])).status_code == 200
        return len(queries)

    few = count()
    with activate(world_a.tenant):
        act = {"tenant": world_a.tenant, "by": world_a.staff, "agreement": ledger["agreement"]}
        for n in range(8):
            services.prepurchase_charge(**act, amount="3", on_date=days(-50 + n), expires_on=None)
            services.prepurchase_use(**act, amount="4", on_date=days(-40 + n))
    assert count() == few


def test_write_off_asks_once_then_writes_off_exactly_the_expired_remainder(
    world_a, client_for, ledger
):
    client = client_for(world_a.staff)
    old = ledger["old"]
    question = client.get(url(old, "write-off")).content.decode()
    assert "Write off <strong>4.00 units</strong>" in question
    assert "the balance goes from" in question and "24.00 to 20.00 units" in question

    response = client.post(url(old, "write-off"))
    assert response.status_code == 302
    with activate(world_a.tenant):
        write_off = PrepurchaseEntry.objects.get(kind=LedgerKind.WRITE_OFF)
        assert (write_off.amount, write_off.charge_id) == (Decimal("4"), old.pk)
        assert AuditEntry.objects.filter(object_id=write_off.pk).exists()
    again = client.post(url(old, "write-off"), follow=True)
    assert "Nothing expired is left on charge" in again.content.decode()
    with activate(world_a.tenant):
        assert PrepurchaseEntry.objects.filter(kind=LedgerKind.WRITE_OFF).count() == 1
    page = client.get(url(ledger["agreement"]))
    assert (page.context["figures"]["expired"], page.context["figures"]["written_off"]) == (0, 4)


def test_a_charge_still_usable_is_not_written_off_from_its_page(world_a, client_for, ledger):
    client = client_for(world_a.staff)
    current = ledger["current"]
    question = client.get(url(current, "write-off")).content.decode()
    assert "It is usable until" in question and 'type="submit"' not in question.split("<main")[-1]
    response = client.post(url(current, "write-off"), follow=True)
    assert "only what is left once it has expired can be written off" in response.content.decode()


def test_extend_says_what_it_does_and_makes_the_units_usable_again(world_a, client_for, ledger):
    client = client_for(world_a.staff)
    old = ledger["old"]
    question = client.get(url(old, "extend")).content.decode()
    assert "4.00 units are left on it" in question and "audit trail" in question

    refused = client.post(
        url(old, "extend"), {"expires_on": days(-40).isoformat(), "reason": "goodwill"}
    )
    assert refused.status_code == 422
    assert "an extension moves the expiry date later" in refused.content.decode()

    response = client.post(
        url(old, "extend"), {"expires_on": days(30).isoformat(), "reason": "goodwill"}
    )
    assert response.status_code == 302
    page = client.get(url(ledger["agreement"]))
    assert (page.context["figures"]["expired"], page.context["figures"]["available"]) == (0, 24)
    with activate(world_a.tenant):
        audit = AuditEntry.objects.get(action="prepurchase charge extended")
    assert audit.after["reason"] == "goodwill" and audit.actor_id == world_a.staff.pk


def test_the_ledger_form_prefills_the_agreements_validity(world_a, client_for):
    agreement = PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant),
        unit=PrepurchaseUnit.TRAINING_UNITS,
        charge_validity=ChargeValidity.AGREEMENT_END,
        start_date=days(-10),
        end_date=days(300),
    )
    client = client_for(world_a.staff)
    form = client.get(url(agreement)).context["form"]
    assert form.fields["expires_on"].initial == days(300)
    client.post(
        url(agreement),
        {"action": "charge", "amount": "8", "expires_on": days(90).isoformat()},
    )
    client.post(url(agreement), {"action": "charge", "amount": "2", "expires_on": ""})
    with activate(world_a.tenant):
        dates = list(
            PrepurchaseEntry.objects.filter(agreement=agreement)
            .order_by("pk")
            .values_list("expires_on", flat=True)
        )
    assert dates == [days(90), None]


def test_a_money_agreement_without_expiry_shows_no_expiry_field(world_a, client_for):
    agreement = PrepurchaseFactory(account=AccountFactory(tenant=world_a.tenant))
    page = client_for(world_a.staff).get(url(agreement))
    assert "expires_on" not in page.context["form"].fields
    assert "Money charges never expire on this agreement" in page.content.decode()


def test_the_new_pages_are_404_for_another_company(world_a, world_b, client_for, ledger):
    client = client_for(world_b.admin)
    for action in ("extend", "write-off"):
        path = f"/bravo/prepurchases/charges/{ledger['old'].pk}/{action}/"
        assert client.get(path).status_code == 404
        assert (
            client.post(path, {"expires_on": days(90).isoformat(), "reason": "x"}).status_code
            == 404
        )
    with activate(world_a.tenant):
        assert not PrepurchaseEntry.objects.filter(kind=LedgerKind.WRITE_OFF).exists()
        assert PrepurchaseEntry.objects.get(pk=ledger["old"].pk).expires_on == days(-30)


def test_a_use_is_not_a_charge_to_extend(world_a, client_for, ledger):
    with activate(world_a.tenant):
        used = PrepurchaseEntry.objects.get(kind=LedgerKind.USE)
    assert client_for(world_a.staff).get(url(used, "extend")).status_code == 404


# --- The data migration -------------------------------------------------------------------------


def test_the_migration_allocates_existing_uses_oldest_charge_first(world_a):
    """Rows written before allocations existed: charges of 10 and 5 (and a reversed one), uses
    of 8, 4 (reversed) and 9 with an overdraft. Afterwards no charge expires, every balance is
    what it was, and each charge's remainder is exact."""
    agreement = PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant), overdraft_limit=Decimal("10")
    )

    def row(kind, amount, day, reverses=None):
        delta = {"charge": amount, "use": -amount}.get(kind, -reverses.delta if reverses else 0)
        return PrepurchaseEntry.objects.create(
            tenant=world_a.tenant,
            agreement=agreement,
            kind=kind,
            amount=amount,
            delta=delta,
            entry_date=datetime.date(2026, 1, day),
            reverses=reverses,
        )

    first = row("charge", Decimal("10"), 1)
    refunded = row("charge", Decimal("50"), 2)
    row("reversal", Decimal("50"), 3, reverses=refunded)
    second = row("charge", Decimal("5"), 4)
    use_1 = row("use", Decimal("8"), 5)
    use_2 = row("use", Decimal("4"), 6)
    row("reversal", Decimal("4"), 7, reverses=use_2)
    use_3 = row("use", Decimal("9"), 8)
    with activate(world_a.tenant):
        before = selectors.prepurchase_figures(agreement)

    migration = import_module("agreements.migrations.0005_prepurchase_expiry")
    with scopes_disabled():
        migration.allocate_existing_uses(apps, None)

    with activate(world_a.tenant):
        after = selectors.prepurchase_figures(agreement)
        allocations = {
            (a.entry_id, a.charge_id): a.delta for a in PrepurchaseAllocation.objects.all()
        }
        charges = {c.pk: c for c in selectors.prepurchase_charges(agreement)}
    assert after == before
    assert (after["balance"], after["expired"], after["available"]) == (-2, 0, -2)
    assert allocations == {
        (use_1.pk, first.pk): Decimal("-8"),
        (use_3.pk, first.pk): Decimal("-2"),
        (use_3.pk, second.pk): Decimal("-5"),  # and 2 in the overdraft
    }
    assert [charges[first.pk].remainder, charges[second.pk].remainder] == [0, 0]
    assert all(c.expires_on is None for c in charges.values())
