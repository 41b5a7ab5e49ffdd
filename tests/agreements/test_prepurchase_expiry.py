"""Issue 14, part 5: prepurchased units (and money, where the agreement says so) expire per
charge; uses take the oldest unexpired charge first and record what they took; what expired is
written off or the charge extended."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.platform.models import AuditEntry
from accounts.platform.tenancy import activate
from agreements import selectors, services
from agreements.models import (
    ChargeValidity,
    LedgerKind,
    PrepurchaseAllocation,
    PrepurchaseEntry,
    PrepurchaseUnit,
)
from agreements.models.prepurchases import add_months
from tests.factories import AccountFactory, PrepurchaseFactory

D = datetime.date
JAN, FEB, MAR = D(2026, 1, 5), D(2026, 2, 5), D(2026, 3, 5)
JUN_30, JUL_1, DEC_31 = D(2026, 6, 30), D(2026, 7, 1), D(2026, 12, 31)


@pytest.fixture
def units(world_a):
    return PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant), unit=PrepurchaseUnit.TRAINING_UNITS
    )


@pytest.fixture
def act(world_a):
    """Call a service as tenant A's staff, inside A's scope."""

    def call(service, **kwargs):
        with activate(world_a.tenant):
            return service(tenant=world_a.tenant, by=world_a.staff, **kwargs)

    return call


def charge(act, agreement, amount, on, expires):
    return act(
        services.prepurchase_charge,
        agreement=agreement,
        amount=amount,
        on_date=on,
        expires_on=expires,
    )


def use(act, agreement, amount, on):
    return act(services.prepurchase_use, agreement=agreement, amount=amount, on_date=on)


def taken(world, entry) -> dict[int, Decimal]:
    """{charge id: what `entry` took from it (negative) or gave back (positive)}."""
    with activate(world.tenant):
        return {
            row.charge_id: row.delta for row in PrepurchaseAllocation.objects.filter(entry=entry)
        }


def figures(world, agreement, on):
    with activate(world.tenant):
        return selectors.prepurchase_figures(agreement, as_of=on)


def left(world, agreement, on) -> dict[int, tuple]:
    """{charge id: (remainder, expired, available)} on `on`."""
    with activate(world.tenant):
        return {
            c.pk: (c.remainder, c.expired, c.available)
            for c in selectors.prepurchase_charges(agreement, as_of=on)
        }


# --- Which charge a use takes -------------------------------------------------------------------


def test_a_use_takes_the_charge_that_expires_first(world_a, act, units):
    later = charge(act, units, "10", JAN, DEC_31)  # bought first, expires last
    sooner = charge(act, units, "10", FEB, JUN_30)
    forever = charge(act, units, "10", JAN, None)
    first = use(act, units, "4", MAR)
    assert taken(world_a, first) == {sooner.pk: Decimal("-4")}
    # Equal expiry dates: the older purchase first; charges that never expire come last.
    assert list(left(world_a, units, MAR)) == [sooner.pk, later.pk, forever.pk]


def test_equal_expiry_dates_take_the_older_purchase_first(world_a, act, units):
    newer = charge(act, units, "10", FEB, JUN_30)
    older = charge(act, units, "10", JAN, JUN_30)
    assert taken(world_a, use(act, units, "3", MAR)) == {older.pk: Decimal("-3")}
    assert left(world_a, units, MAR)[newer.pk] == (Decimal("10"), 0, Decimal("10"))


def test_a_use_spans_two_charges_and_each_keeps_its_exact_remainder(world_a, act, units):
    first = charge(act, units, "5", JAN, JUN_30)
    second = charge(act, units, "10", FEB, DEC_31)
    spanning = use(act, units, "8", MAR)
    assert taken(world_a, spanning) == {first.pk: Decimal("-5"), second.pk: Decimal("-3")}
    assert left(world_a, units, MAR) == {
        first.pk: (Decimal("0"), 0, Decimal("0")),
        second.pk: (Decimal("7"), 0, Decimal("7")),
    }
    result = figures(world_a, units, MAR)
    assert (result["used"], result["available"], result["balance"]) == (
        Decimal("8"),
        Decimal("7"),
        Decimal("7"),
    )


def test_a_charge_is_usable_on_its_expiry_day_and_expired_the_day_after(world_a, act, units):
    bought = charge(act, units, "10", JAN, JUN_30)
    on_the_day = figures(world_a, units, JUN_30)
    assert (on_the_day["available"], on_the_day["expired"]) == (Decimal("10"), Decimal("0"))
    day_after = figures(world_a, units, JUL_1)
    assert (day_after["available"], day_after["expired"]) == (Decimal("0"), Decimal("10"))
    assert day_after["balance"] == Decimal("10"), "expired units are still on the ledger"

    use(act, units, "6", JUN_30)  # on the expiry day: paid
    with pytest.raises(ValidationError, match="cannot be paid"):
        use(act, units, "1", JUL_1)  # the day after: expired
    assert left(world_a, units, JUL_1)[bought.pk] == (Decimal("4"), Decimal("4"), Decimal("0"))


def test_a_refused_use_gives_the_numbers_and_when_units_expired(world_a, act, units):
    charge(act, units, "5", JAN, JUN_30)
    charge(act, units, "3", JAN, D(2026, 3, 31))
    charge(act, units, "12", FEB, DEC_31)
    with pytest.raises(ValidationError) as error:
        use(act, units, "20", D(2026, 7, 5))
    assert error.value.messages == [
        f"{units} has 12.00 units available on 05 Jul 2026 (3.00 units expired on 31 Mar 2026, "
        "5.00 units expired on 30 Jun 2026: extend a charge to use them again) and may go 0.00 "
        "units below zero: 20.00 units cannot be paid from it."
    ]
    with activate(world_a.tenant):
        assert not PrepurchaseEntry.objects.filter(kind=LedgerKind.USE).exists()


# --- Reversals ----------------------------------------------------------------------------------


def test_a_reversed_use_gives_back_to_the_charges_it_drew_on(world_a, act, units):
    first = charge(act, units, "5", JAN, JUN_30)
    second = charge(act, units, "10", FEB, DEC_31)
    spanning = use(act, units, "8", MAR)
    reversal = act(services.prepurchase_reverse, entry=spanning, reason="wrong agreement")
    assert taken(world_a, reversal) == {first.pk: Decimal("5"), second.pk: Decimal("3")}
    assert left(world_a, units, MAR) == {
        first.pk: (Decimal("5"), 0, Decimal("5")),
        second.pk: (Decimal("10"), 0, Decimal("10")),
    }


def test_what_comes_back_to_an_expired_charge_is_expired(world_a, act, units):
    first = charge(act, units, "5", JAN, JUN_30)
    charge(act, units, "10", FEB, DEC_31)
    spanning = use(act, units, "8", MAR)
    act(services.prepurchase_reverse, entry=spanning, reason="credited in July")
    in_july = figures(world_a, units, JUL_1)
    assert (in_july["expired"], in_july["available"]) == (Decimal("5"), Decimal("10"))
    assert left(world_a, units, JUL_1)[first.pk] == (Decimal("5"), Decimal("5"), Decimal("0"))


def test_a_charge_something_was_taken_from_is_not_reversed(world_a, act, units):
    bought = charge(act, units, "10", JAN, DEC_31)
    spent = use(act, units, "2", MAR)
    with pytest.raises(ValidationError, match=rf"#{spent.pk}\): Reverse the uses it paid for"):
        act(services.prepurchase_reverse, entry=bought, reason="refund")
    act(services.prepurchase_reverse, entry=spent, reason="wrong")
    act(services.prepurchase_reverse, entry=bought, reason="refund")  # nothing taken now
    assert figures(world_a, units, MAR)["balance"] == 0


# --- Write-off ----------------------------------------------------------------------------------


def test_a_write_off_takes_exactly_the_expired_remainder_once(world_a, act, units):
    old = charge(act, units, "10", JAN, JUN_30)
    charge(act, units, "10", FEB, DEC_31)
    use(act, units, "6", MAR)  # from the old charge: 4 left on it
    with pytest.raises(ValidationError, match="usable until 30 Jun 2026"):
        act(services.prepurchase_charge_write_off, charge=old, on_date=JUN_30)

    write_off = act(services.prepurchase_charge_write_off, charge=old, on_date=JUL_1)
    assert (write_off.kind, write_off.amount, write_off.delta, write_off.charge_id) == (
        LedgerKind.WRITE_OFF,
        Decimal("4"),
        Decimal("-4"),
        old.pk,
    )
    assert taken(world_a, write_off) == {old.pk: Decimal("-4")}
    after = figures(world_a, units, JUL_1)
    assert (after["expired"], after["written_off"], after["available"], after["balance"]) == (
        Decimal("0"),
        Decimal("4"),
        Decimal("10"),
        Decimal("10"),
    )
    with pytest.raises(ValidationError, match="Nothing expired is left on charge"):
        act(services.prepurchase_charge_write_off, charge=old, on_date=JUL_1)
    with activate(world_a.tenant):
        assert PrepurchaseEntry.objects.filter(kind=LedgerKind.WRITE_OFF).count() == 1
        entry = AuditEntry.objects.get(action="prepurchase remainder written off")
        assert entry.object_id == write_off.pk and entry.after["amount"] == "4.000"


def test_a_write_off_is_undone_by_reversing_it(world_a, act, units):
    old = charge(act, units, "10", JAN, JUN_30)
    write_off = act(services.prepurchase_charge_write_off, charge=old, on_date=JUL_1)
    act(services.prepurchase_reverse, entry=write_off, reason="customer disputes")
    back = figures(world_a, units, JUL_1)
    assert (back["written_off"], back["expired"], back["balance"]) == (0, 10, 10)


def test_a_charge_that_never_expires_is_never_written_off(world_a, act, units):
    forever = charge(act, units, "10", JAN, None)
    with pytest.raises(ValidationError, match="never expires"):
        act(services.prepurchase_charge_write_off, charge=forever, on_date=DEC_31)


# --- Extension ----------------------------------------------------------------------------------


def test_an_extension_is_audited_and_makes_the_units_available_again(world_a, act, units):
    old = charge(act, units, "10", JAN, JUN_30)
    use(act, units, "4", MAR)
    assert figures(world_a, units, JUL_1)["expired"] == Decimal("6")

    extended = act(
        services.prepurchase_charge_extend,
        charge=old,
        expires_on=DEC_31,
        reason="agreed with the customer",
    )
    assert extended.expires_on == DEC_31
    assert (extended.amount, extended.delta, extended.entry_date) == (10, 10, JAN), "only the date"
    again = figures(world_a, units, JUL_1)
    assert (again["expired"], again["available"]) == (Decimal("0"), Decimal("6"))
    use(act, units, "6", JUL_1)
    with activate(world_a.tenant):
        entry = AuditEntry.objects.get(action="prepurchase charge extended")
    assert (entry.object_id, entry.before, entry.after["expires_on"], entry.after["reason"]) == (
        old.pk,
        {"expires_on": "2026-06-30"},
        "2026-12-31",
        "agreed with the customer",
    )


@pytest.mark.parametrize(
    ("new", "reason", "message"),
    [
        (D(2026, 6, 1), "why", "Choose a date after 30 Jun 2026"),
        (JUN_30, "why", "Choose a date after 30 Jun 2026"),
        (DEC_31, "  ", "Say why"),
    ],
)
def test_an_extension_moves_the_date_later_and_says_why(world_a, act, units, new, reason, message):
    old = charge(act, units, "10", JAN, JUN_30)
    with pytest.raises(ValidationError, match=message):
        act(services.prepurchase_charge_extend, charge=old, expires_on=new, reason=reason)
    with activate(world_a.tenant):
        assert PrepurchaseEntry.objects.get(pk=old.pk).expires_on == JUN_30
        assert not AuditEntry.objects.filter(action="prepurchase charge extended").exists()


def test_only_the_expiry_date_of_a_ledger_row_ever_moves(world_a, act, units):
    old = charge(act, units, "10", JAN, JUN_30)
    spent = use(act, units, "1", MAR)
    with activate(world_a.tenant):
        assert PrepurchaseEntry.objects.filter(pk=spent.pk).move_expiry(DEC_31) == 0  # not a charge
        with pytest.raises(ValidationError, match="never changed"):
            PrepurchaseAllocation.objects.filter(entry=spent).update(delta=-5)
        with pytest.raises(ValidationError, match="never deleted"):
            PrepurchaseAllocation.objects.filter(entry=spent).delete()
        allocation = PrepurchaseAllocation.objects.get(entry=spent)
    with pytest.raises(ValidationError, match="never changed"):
        allocation.save()
    assert left(world_a, units, MAR)[old.pk][0] == Decimal("9")


# --- Defaults and money -------------------------------------------------------------------------


def test_the_agreement_prefills_each_charges_expiry(world_a, act):
    account = AccountFactory(tenant=world_a.tenant)
    by_months = PrepurchaseFactory(
        account=account,
        unit=PrepurchaseUnit.TRAINING_UNITS,
        charge_validity=ChargeValidity.MONTHS,
        validity_months=12,
    )
    at_end = PrepurchaseFactory(
        account=account,
        unit=PrepurchaseUnit.TRAINING_UNITS,
        charge_validity=ChargeValidity.AGREEMENT_END,
        end_date=D(2027, 3, 31),
    )
    bought = act(services.prepurchase_charge, agreement=by_months, amount="5", on_date=JAN)
    assert bought.expires_on == D(2027, 1, 5)
    assert act(services.prepurchase_charge, agreement=at_end, amount="5").expires_on == D(
        2027, 3, 31
    )
    # A charge's own date wins over the default; None says it never expires.
    own = charge(act, by_months, "5", JAN, None)
    assert own.expires_on is None
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)


def test_money_expires_only_where_the_agreement_says_so(world_a, act):
    account = AccountFactory(tenant=world_a.tenant)
    money = PrepurchaseFactory(account=account, unit=PrepurchaseUnit.MONEY)
    assert act(services.prepurchase_charge, agreement=money, amount="500").expires_on is None
    with pytest.raises(ValidationError, match="does not expire: leave the expiry date empty"):
        charge(act, money, "500", JAN, JUN_30)
    money.charge_validity = ChargeValidity.MONTHS
    money.validity_months = 6
    with activate(world_a.tenant), pytest.raises(ValidationError) as error:
        money.full_clean()
    assert "tick “money expires”" in str(error.value.message_dict["charge_validity"])

    expiring = PrepurchaseFactory(
        account=account,
        unit=PrepurchaseUnit.MONEY,
        money_expires=True,
        charge_validity=ChargeValidity.MONTHS,
        validity_months=6,
    )
    bought = act(services.prepurchase_charge, agreement=expiring, amount="1000", on_date=JAN)
    assert bought.expires_on == D(2026, 7, 5)
    result = figures(world_a, expiring, D(2026, 7, 6))
    assert (result["expired"], result["available"]) == (Decimal("1000.00"), 0)
    with pytest.raises(ValidationError, match=r"1,000\.00 EUR expired on 05 Jul 2026"):
        use(act, expiring, "10", D(2026, 7, 6))


def test_money_cannot_stop_expiring_while_a_charge_carries_a_date(world_a, act):
    money = PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant),
        unit=PrepurchaseUnit.MONEY,
        money_expires=True,
    )
    charge(act, money, "500", JAN, JUN_30)
    money.money_expires = False
    with pytest.raises(ValidationError) as error:
        act(services.prepurchase_save, agreement=money)
    assert "1 charge(s) of this agreement carry an expiry date" in str(error.value)


# --- Overdraft ----------------------------------------------------------------------------------


def test_the_overdraft_draws_on_no_charge_and_the_next_charge_pays_it_first(world_a, act):
    agreement = PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant),
        unit=PrepurchaseUnit.TRAINING_UNITS,
        overdraft_limit=Decimal("5"),
    )
    first = charge(act, agreement, "10", JAN, JUN_30)
    over = use(act, agreement, "12", MAR)
    assert taken(world_a, over) == {first.pk: Decimal("-10")}  # 2 in the overdraft
    in_march = figures(world_a, agreement, MAR)
    assert (in_march["available"], in_march["remaining_overdraft"]) == (-2, 3)
    with pytest.raises(ValidationError, match=r"has a balance of -2\.00 units and may go 5\.00"):
        use(act, agreement, "4", MAR)

    top_up = charge(act, agreement, "10", D(2026, 4, 1), DEC_31)
    assert taken(world_a, over) == {first.pk: Decimal("-10"), top_up.pk: Decimal("-2")}
    assert left(world_a, agreement, D(2026, 4, 1))[top_up.pk] == (8, 0, 8)
    assert figures(world_a, agreement, D(2026, 4, 1))["available"] == Decimal("8")


def test_expired_units_do_not_count_towards_the_overdraft(world_a, act):
    agreement = PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant),
        unit=PrepurchaseUnit.TRAINING_UNITS,
        overdraft_limit=Decimal("5"),
    )
    charge(act, agreement, "10", JAN, JUN_30)
    with pytest.raises(ValidationError, match=r"10\.00 units expired on 30 Jun 2026"):
        use(act, agreement, "6", JUL_1)
    within = use(act, agreement, "5", JUL_1)
    assert taken(world_a, within) == {}
    result = figures(world_a, agreement, JUL_1)
    assert (result["available"], result["expired"], result["balance"]) == (-5, 10, 5)


def test_the_list_and_the_charges_tell_the_same_figures(world_a, act, units):
    charge(act, units, "10", JAN, JUN_30)
    charge(act, units, "7", FEB, DEC_31)
    charge(act, units, "3", FEB, None)
    use(act, units, "12", MAR)
    with activate(world_a.tenant):
        charges = selectors.prepurchase_charges(units, as_of=JUL_1)
        row = selectors.prepurchase_list(as_of=JUL_1).get(pk=units.pk)
    assert row.expired == sum(c.expired for c in charges) == 0  # the June charge was used up
    assert row.available == sum(c.available for c in charges) == Decimal("8")
    assert row.balance == sum(c.remainder for c in charges)
