import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.platform.tenancy import activate
from agreements import selectors, services
from agreements.models import PrepurchaseEntry, PrepurchaseStatus, PrepurchaseUnit
from tests.factories import AccountFactory, PrepurchaseFactory


@pytest.fixture
def agreement(world_a):
    return PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant),
        overdraft_limit=Decimal("100"),
        end_date=datetime.date(2030, 12, 31),
    )


def charge(world, agreement, amount, **kwargs):
    with activate(world.tenant):
        return services.prepurchase_charge(
            tenant=world.tenant, by=world.staff, agreement=agreement, amount=amount, **kwargs
        )


def use(world, agreement, amount):
    with activate(world.tenant):
        return services.prepurchase_use(
            tenant=world.tenant,
            by=world.staff,
            agreement=agreement,
            amount=amount,
            reference="registration 7",
        )


def figures(world, agreement):
    with activate(world.tenant):
        return selectors.prepurchase_figures(agreement)


def test_balance_is_charges_minus_uses(world_a, agreement):
    charge(world_a, agreement, "1000")
    charge(world_a, agreement, "500.004")
    use(world_a, agreement, "300")
    result = figures(world_a, agreement)
    assert (result["prepurchased"], result["used"], result["balance"]) == (
        Decimal("1500.00"),
        Decimal("300.00"),
        Decimal("1200.00"),
    )
    assert result["remaining_overdraft"] == Decimal("100")


def test_a_use_may_go_into_the_overdraft_and_no_further(world_a, agreement):
    charge(world_a, agreement, "200")
    use(world_a, agreement, "250")
    assert figures(world_a, agreement)["remaining_overdraft"] == Decimal("50")
    with pytest.raises(ValidationError) as error:
        use(world_a, agreement, "60")
    assert "balance of -50.00 EUR and may go 100.00 EUR below zero: 60.00 EUR" in str(error.value)
    assert figures(world_a, agreement)["balance"] == Decimal("-50")


def test_top_ups_only_until_the_end_date(world_a, agreement):
    with pytest.raises(ValidationError, match="top-ups are possible only until then"):
        charge(world_a, agreement, "100", on_date=datetime.date(2031, 1, 1))


def test_a_closed_agreement_takes_no_charges_or_uses(world_a, agreement):
    agreement.status = PrepurchaseStatus.CLOSED
    agreement.save()
    with pytest.raises(ValidationError, match="closed"):
        charge(world_a, agreement, "100")
    with pytest.raises(ValidationError, match="closed"):
        use(world_a, agreement, "1")


@pytest.mark.parametrize("amount", ["0", "-5", "abc"])
def test_amounts_must_be_positive_numbers(world_a, agreement, amount):
    with pytest.raises(ValidationError):
        charge(world_a, agreement, amount)


def test_training_units_are_counted_as_units(world_a):
    units = PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant), unit=PrepurchaseUnit.TRAINING_UNITS
    )
    charge(world_a, units, "40")
    with pytest.raises(ValidationError, match=r"balance of 40\.00 units"):
        use(world_a, units, "41")


def test_ledger_rows_are_never_edited_or_deleted(world_a, agreement):
    entry = charge(world_a, agreement, "100")
    entry.amount = Decimal("1")
    with pytest.raises(ValidationError, match="never changed"):
        entry.save()
    with pytest.raises(ValidationError, match="never deleted"):
        entry.delete()
    with activate(world_a.tenant):
        with pytest.raises(ValidationError):
            PrepurchaseEntry.objects.filter(pk=entry.pk).update(amount=1)
        with pytest.raises(ValidationError):
            PrepurchaseEntry.objects.filter(pk=entry.pk).delete()
        assert PrepurchaseEntry.objects.get().amount == Decimal("100")


def test_a_mistake_is_reversed_once(world_a, agreement):
    charge(world_a, agreement, "500")
    wrong = use(world_a, agreement, "120")
    with activate(world_a.tenant):
        reversal = services.prepurchase_reverse(
            tenant=world_a.tenant, by=world_a.staff, entry=wrong, reason="wrong agreement"
        )
        assert reversal.delta == Decimal("120") and reversal.reverses == wrong
        with pytest.raises(ValidationError, match="reversed already"):
            services.prepurchase_reverse(
                tenant=world_a.tenant, by=world_a.staff, entry=wrong, reason="again"
            )
        with pytest.raises(ValidationError, match="cannot be reversed"):
            services.prepurchase_reverse(
                tenant=world_a.tenant, by=world_a.staff, entry=reversal, reason="undo"
            )
    result = figures(world_a, agreement)
    assert (result["used"], result["balance"]) == (Decimal("0"), Decimal("500"))


def test_reversing_a_charge_cannot_break_the_overdraft(world_a, agreement):
    bought = charge(world_a, agreement, "500")
    use(world_a, agreement, "450")
    with activate(world_a.tenant), pytest.raises(ValidationError, match="Reverse the uses"):
        services.prepurchase_reverse(
            tenant=world_a.tenant, by=world_a.staff, entry=bought, reason="refund"
        )


def test_the_page_shows_the_figures_and_records_a_use(world_a, agreement, client_for):
    charge(world_a, agreement, "1000")
    client = client_for(world_a.staff)
    response = client.post(
        f"/alpha/prepurchases/{agreement.pk}/",
        {"action": "use", "amount": "2000", "description": "too much"},
    )
    assert response.status_code == 422
    assert "cannot be paid from it" in response.content.decode()
    client.post(
        f"/alpha/prepurchases/{agreement.pk}/",
        {"action": "use", "amount": "250", "description": "cohort"},
    )
    page = client.get(f"/alpha/prepurchases/{agreement.pk}/")
    assert page.context["figures"]["balance"] == Decimal("750")


def test_two_uses_at_the_same_moment_never_overdraw(postgres_only, world_a, monkeypatch):
    """Each thread alone fits; together they would pass the limit. The row lock serialises them.

    The balance read (the figures `prepurchase_use` checks) is slowed down so that, without the
    lock, both threads would read the same balance and both succeed: this test fails if
    `prepurchase_use` stops locking the agreement.
    """
    agreement = PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant), overdraft_limit=Decimal("0")
    )
    charge(world_a, agreement, "100")
    slow_figures = selectors.prepurchase_figures

    def figures_then_wait(agreement, **kwargs):
        result = slow_figures(agreement, **kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(selectors, "prepurchase_figures", figures_then_wait)
    barrier = threading.Barrier(2)
    outcomes = []

    def spend():
        try:
            barrier.wait()
            use(world_a, agreement, "80")
            outcomes.append("paid")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["paid", "refused"]
    monkeypatch.undo()
    assert figures(world_a, agreement)["balance"] == Decimal("20")
