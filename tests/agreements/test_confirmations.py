"""Issue 17: irreversible actions on agreements ask once, saying what will happen, and do
nothing until confirmed: reversing a ledger row, dropping a booking's own terms."""

import datetime
import re
from decimal import Decimal

from accounts.platform.tenancy import activate
from agreements import cancellations, services
from agreements.models import CancellationTerms, LedgerKind, PrepurchaseEntry
from tests.factories import AccountFactory, BookingFactory, PrepurchaseFactory


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def test_reversing_a_ledger_row_asks_with_the_balance_it_leaves(world_a, client_for):
    agreement = PrepurchaseFactory(
        account=AccountFactory(tenant=world_a.tenant), end_date=datetime.date(2030, 12, 31)
    )
    with activate(world_a.tenant):
        bought = services.prepurchase_charge(
            tenant=world_a.tenant, by=world_a.staff, agreement=agreement, amount=Decimal("1000")
        )
        services.prepurchase_charge(
            tenant=world_a.tenant, by=world_a.staff, agreement=agreement, amount=Decimal("500")
        )
    client = client_for(world_a.staff)
    url = f"/alpha/prepurchases/{agreement.pk}/"
    question = client.post(url, {"entry": bought.pk, "reason": "Booked twice"})
    assert (f"Reverse row #{bought.pk} (charge of 1,000.00 {agreement.currency} on ") in _text(
        question
    )
    assert (
        f"the balance goes from 1,500.00 to 500.00 {agreement.currency}. Reason: “Booked twice”."
    ) in _text(question)
    with activate(world_a.tenant):
        assert not PrepurchaseEntry.objects.filter(kind=LedgerKind.REVERSAL).exists()
    client.post(url, {"entry": bought.pk, "reason": "Booked twice", "confirmed": "1"})
    with activate(world_a.tenant):
        assert PrepurchaseEntry.objects.filter(kind=LedgerKind.REVERSAL, reverses=bought).exists()


def test_dropping_a_bookings_own_terms_asks_once(world_a, client_for):
    booking = BookingFactory(account=AccountFactory(tenant=world_a.tenant))
    with activate(world_a.tenant):
        cancellations.cancellation_terms_save(
            tenant=world_a.tenant,
            by=world_a.staff,
            booking=booking,
            bands=[(14, Decimal("0")), (7, Decimal("50")), (0, Decimal("100"))],
            no_show_percent=Decimal("100"),
            free_transfer_days=3,
        )
    client = client_for(world_a.staff)
    url = f"/alpha/bookings/{booking.pk}/cancellation-terms/remove/"
    question = client.post(url)
    assert "(3 fee bands, its no-show fee and free-transfer days)?" in _text(question)
    assert "follow the company's default terms" in _text(question)
    with activate(world_a.tenant):
        assert CancellationTerms.objects.filter(booking=booking).exists()
    client.post(url, {"confirmed": "1"})
    with activate(world_a.tenant):
        assert not CancellationTerms.objects.filter(booking=booking).exists()
