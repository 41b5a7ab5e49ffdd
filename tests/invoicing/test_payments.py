"""Payments and allocations (issue 16, part 1): an invoice's outstanding amount and state follow
from what is allocated to it, never from a flag.

The `billing` fixture's project (in EUR, the tenant's base currency unless a test says
otherwise): four delivered places at 900 net, 20 % VAT, so 1,080 gross each; an exam fee of
190, exempt.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.platform.models import AuditEntry
from accounts.platform.tenancy import activate
from invoicing import payment_selectors, services
from invoicing.models import (
    Allocation,
    ExchangeRate,
    Grouping,
    Invoice,
    InvoiceState,
    Payment,
    PaymentMethod,
    PaymentReversal,
)
from projects.models import Registration, RegistrationStatus
from tests.factories import AccountFactory, EventFactory, ProjectFactory

D = Decimal
LONG_AGO = datetime.date(2026, 3, 10)  # due 30 days later: long past


def issue(act, billing, places=1, *, first=0, on_date=None, grouping=Grouping.ALL, project=None):
    """Issue invoices of `places` of the fixture's registrations (from `first`), issued today
    (not due yet) unless `on_date` says otherwise."""
    rows = billing["registrations"][first : first + places]
    drafts = act(
        services.drafts_create,
        project=project or billing["project"],
        registration_ids=[row.pk for row in rows],
        grouping=grouping,
    )
    issued = [
        act(services.invoice_issue, invoice=draft, on_date=on_date, render_pdf=False)
        for draft in drafts
    ]
    return issued[0] if len(issued) == 1 else issued


def pay(act, billing, amount, invoices=(), **more):
    more.setdefault("currency", "EUR")
    return act(
        services.payment_record,
        billing_account=more.pop("account", billing["account"]),
        amount=D(str(amount)),
        invoices=list(invoices),
        **more,
    )


def state(invoice):
    """(state, outstanding) as every list and page shows them."""
    row = payment_selectors.state_of(invoice)
    return row["state"], row["outstanding"]


def invoice_of_another_account(act, billing, net="500"):
    """An issued EUR invoice of one place, billed to another account of the same company."""
    project = ProjectFactory(
        account=AccountFactory(tenant=billing["tenant"], name="Harbour Clinics"), currency="EUR"
    )
    event = EventFactory(project=project, product=billing["events"][0].product)
    row = Registration.objects.create(
        tenant=billing["tenant"],
        project=project,
        event=event,
        requested_date=datetime.date(2026, 2, 1),
        status=RegistrationStatus.DELIVERED,
        unit_price=D(net),
        net_amount=D(net),
    )
    (draft,) = act(services.drafts_create, project=project, registration_ids=[row.pk])
    return act(services.invoice_issue, invoice=draft, render_pdf=False)


def balance(billing, account=None):
    (figures,) = payment_selectors.account_balance(account or billing["account"])
    return figures


def test_an_issued_invoice_is_open_with_its_gross_outstanding(act, billing):
    invoice = issue(act, billing)
    assert invoice.gross_total == 1080
    assert state(invoice) == (InvoiceState.OPEN, 1080)
    assert payment_selectors.outstanding(invoice) == 1080


def test_part_payments_leave_the_invoice_partly_paid_until_it_is_paid(act, billing):
    invoice = issue(act, billing)
    pay(act, billing, "400", [invoice], method=PaymentMethod.CARD, reference="Card 4417")
    assert state(invoice) == (InvoiceState.PARTLY_PAID, 680)
    pay(act, billing, "680", [invoice], date=timezone.localdate())
    assert state(invoice) == (InvoiceState.PAID, 0)
    assert payment_selectors.account_balance(billing["account"]) == []
    with pytest.raises(ValidationError, match="is paid: nothing is outstanding"):
        pay(act, billing, "1", [invoice])


def test_an_over_payment_stays_on_the_account_and_is_allocated_later(act, billing):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION)
    payment = pay(act, billing, "1500", [first])
    assert state(first) == (InvoiceState.PAID, 0)
    figures = balance(billing)
    assert (figures.outstanding, figures.unallocated_payments) == (1080, 420)
    assert figures.balance == 660  # owed, less what it paid ahead
    assert [p.pk for p in payment_selectors.unallocated_payments()] == [payment.pk]

    allocation = act(services.payment_allocate, payment=payment, invoice=second)
    assert allocation.amount == 420  # as much as the payment had left
    assert state(second) == (InvoiceState.PARTLY_PAID, 660)
    figures = balance(billing)
    assert (figures.outstanding, figures.unallocated_payments, figures.balance) == (660, 0, 660)
    with pytest.raises(ValidationError, match="is allocated already"):
        act(services.payment_allocate, payment=payment, invoice=second)


def test_an_under_payment_leaves_the_invoice_partly_paid(act, billing):
    invoice = issue(act, billing)
    pay(act, billing, "1000", [invoice])
    assert state(invoice) == (InvoiceState.PARTLY_PAID, 80)
    assert balance(billing).unallocated_payments == 0


def test_one_payment_pays_several_invoices_oldest_due_first_or_as_told(act, billing):
    first, second, third = issue(act, billing, 3, grouping=Grouping.REGISTRATION)
    payment = pay(act, billing, "1500", [first, second])
    assert [(a.invoice_id, a.amount) for a in payment.allocations.order_by("pk")] == [
        (first.pk, 1080),
        (second.pk, 420),
    ]
    told = pay(act, billing, "700", [second, third], amounts={second.pk: D("200")})
    assert [(a.invoice_id, a.amount) for a in told.allocations.order_by("pk")] == [
        (second.pk, 200),
        (third.pk, 500),
    ]
    assert state(second) == (InvoiceState.PARTLY_PAID, 460)


def test_a_payment_never_allocates_more_than_it_has_or_an_invoice_owes(act, billing):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION)
    with pytest.raises(ValidationError, match=r"more than the 1,080\.00 EUR outstanding"):
        pay(act, billing, "2000", [first], amounts={first.pk: D("1100")})
    with pytest.raises(ValidationError, match="cannot pay more than that in all"):
        pay(act, billing, "1000", [first, second], amounts={first.pk: D("600"), second.pk: 600})
    with activate(billing["tenant"]):
        assert not Payment.objects.exists() and not Allocation.objects.exists()  # all or nothing


def test_a_payment_pays_only_issued_invoices_of_its_account_in_its_currency(act, billing, world_b):
    invoice = issue(act, billing)
    other_account = AccountFactory(tenant=billing["tenant"], name="Someone Else")
    with pytest.raises(ValidationError, match="billed to another account"):
        pay(act, billing, "100", [invoice], account=other_account)
    with pytest.raises(ValidationError, match="is in EUR, the payment or credit in GBP"):
        pay(act, billing, "100", [invoice], currency="GBP", exchange_rate=D("1.15"))
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][1].pk],
    )
    with pytest.raises(ValidationError, match="only issued invoices are paid"):
        pay(act, billing, "100", [draft])
    foreign = AccountFactory(tenant=world_b.tenant)
    with pytest.raises(ValidationError, match="belongs to another company"):
        pay(act, billing, "100", [invoice], account=foreign)
    with pytest.raises(ValidationError, match="Enter an amount above zero"):
        pay(act, billing, "0", [invoice])
    with pytest.raises(ValidationError, match="in the future"):
        pay(act, billing, "10", [invoice], date=timezone.localdate() + datetime.timedelta(days=1))


def test_a_credit_note_is_allocated_in_full_to_the_unpaid_invoice_it_credits(act, billing):
    invoice = issue(act, billing)
    note = act(services.invoice_credit, invoice=invoice, reason="Cancelled course")
    (allocation,) = Allocation.objects.filter(credit_note=note)
    assert (allocation.invoice_id, allocation.amount, allocation.date) == (
        invoice.pk,
        1080,
        note.issue_date,
    )
    assert state(invoice) == (InvoiceState.CANCELLED, 0)
    assert state(note) == (InvoiceState.ISSUED, 0)
    assert payment_selectors.account_balance(billing["account"]) == []  # nothing left anywhere


def test_a_credit_note_on_a_partly_paid_invoice_pays_the_rest_and_stays_as_credit(act, billing):
    invoice = issue(act, billing, 2)  # 2,160
    pay(act, billing, "1500", [invoice])
    line = invoice.lines.first()
    note = act(services.invoice_credit, invoice=invoice, line_ids=[line.pk], reason="No-show")
    assert note.gross_total == -1080
    assert Allocation.objects.get(credit_note=note).amount == 660  # what was outstanding
    assert state(invoice) == (InvoiceState.PAID, 0)
    figures = balance(billing)
    assert (figures.outstanding, figures.unallocated_credits, figures.balance) == (0, 420, -420)
    assert [n.pk for n in payment_selectors.unallocated_credits()] == [note.pk]


def test_a_credit_note_of_a_paid_invoice_stays_on_the_account(act, billing):
    invoice = issue(act, billing)
    pay(act, billing, "1080", [invoice])
    note = act(services.invoice_credit, invoice=invoice, reason="Refund due")
    assert not Allocation.objects.filter(credit_note=note).exists()
    assert balance(billing).unallocated_credits == 1080


def test_credit_left_is_allocated_to_another_invoice_of_the_same_account_only(act, billing):
    credited, other = issue(act, billing, 2, grouping=Grouping.REGISTRATION)
    pay(act, billing, "1080", [credited])
    note = act(services.invoice_credit, invoice=credited, reason="Refund due")
    foreign = invoice_of_another_account(act, billing)
    with pytest.raises(ValidationError, match="billed to another account"):
        act(services.credit_allocate, credit_note=note, invoice=foreign)
    with pytest.raises(ValidationError, match=r"At most 1,080\.00 EUR"):
        act(services.credit_allocate, credit_note=note, invoice=other, amount=D("1200"))
    allocation = act(services.credit_allocate, credit_note=note, invoice=other, amount=D("300"))
    assert allocation.amount == 300 and allocation.credit_note_id == note.pk
    assert state(other) == (InvoiceState.PARTLY_PAID, 780)
    assert balance(billing).unallocated_credits == 780
    with pytest.raises(ValidationError, match="not an issued credit note"):
        act(services.credit_allocate, credit_note=other, invoice=credited)


def test_the_state_follows_the_allocations(act, billing):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    assert state(draft) == (InvoiceState.DRAFT, 0)
    late, partly_late = issue(
        act, billing, 2, first=1, grouping=Grouping.REGISTRATION, on_date=LONG_AGO
    )
    assert state(late) == (InvoiceState.OVERDUE, 1080)
    pay(act, billing, "80", [partly_late], date=LONG_AGO)
    assert state(partly_late) == (InvoiceState.OVERDUE, 1000)  # overdue wins over partly paid
    pay(act, billing, "1000", [partly_late])
    assert state(partly_late) == (InvoiceState.PAID, 0)
    # The list filter, the overdue filter and the dashboard read the same definition.
    with activate(billing["tenant"]):
        everything = Invoice.objects.all()
        assert [i.pk for i in payment_selectors.overdue(everything)] == [late.pk]
        assert [i.pk for i in payment_selectors.in_state(everything, "paid")] == [partly_late.pk]
        assert [i.pk for i in payment_selectors.in_state(everything, "draft")] == [draft.pk]
        # A month after the due date is judged on that day.
        early = late.due_date - datetime.timedelta(days=1)
        assert not payment_selectors.overdue(everything, today=early).exists()


def test_the_figures_as_they_stood_on_a_day(act, billing):
    """Statements and aged reports read a day's figures: allocations made by then, payments not
    reversed by then."""
    invoice = issue(act, billing, on_date=LONG_AGO)
    payment = pay(act, billing, "500", [invoice], date=datetime.date(2026, 4, 1))
    act(services.payment_reverse, payment=payment, reason="Bounced")
    today = timezone.localdate()
    assert payment_selectors.outstanding(invoice, as_of=datetime.date(2026, 3, 31)) == 1080
    assert payment_selectors.outstanding(invoice, as_of=datetime.date(2026, 4, 1)) == 580
    assert payment_selectors.outstanding(invoice, as_of=today) == 1080  # reversed today
    assert payment_selectors.outstanding(invoice) == 1080
    (on_day,) = payment_selectors.account_balance(
        billing["account"], as_of=datetime.date(2026, 4, 2)
    )
    assert (on_day.outstanding, on_day.overdue) == (580, 0)
    assert [i.pk for i in payment_selectors.open_invoices(as_of=LONG_AGO)] == [invoice.pk]
    assert not payment_selectors.open_invoices(as_of=LONG_AGO - datetime.timedelta(days=1))


def test_a_reversal_restores_what_the_payment_paid_is_audited_and_happens_once(act, billing):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION)
    payment = pay(act, billing, "1500", [first, second])
    with pytest.raises(ValidationError, match="Say why"):
        act(services.payment_reverse, payment=payment, reason="  ")
    reversal = act(services.payment_reverse, payment=payment, reason="Cheque bounced")
    assert (reversal.reason, reversal.date) == ("Cheque bounced", timezone.localdate())
    assert state(first) == (InvoiceState.OPEN, 1080)
    assert state(second) == (InvoiceState.OPEN, 1080)
    assert not payment_selectors.unallocated_payments().exists()
    with pytest.raises(ValidationError, match=r"was reversed on .* already"):
        act(services.payment_reverse, payment=payment, reason="Again")
    with pytest.raises(ValidationError, match="was reversed: it pays nothing"):
        act(services.payment_allocate, payment=payment, invoice=first)
    with activate(billing["tenant"]):
        assert PaymentReversal.objects.count() == 1
        entry = AuditEntry.objects.get(object_type="invoicing.payment", action="payment reversed")
        assert entry.after["reason"] == "Cheque bounced" and entry.actor == billing["world"].finance
        on_invoices = AuditEntry.objects.filter(
            object_type="invoicing.invoice", action="payment reversed"
        )
        assert {e.object_id for e in on_invoices} == {first.pk, second.pk}


def test_a_reversed_payment_still_counts_on_the_days_before_its_reversal(act, billing):
    """What a statement or an aged report of an earlier day shows (`counting(as_of)`)."""
    invoice = issue(act, billing, on_date=LONG_AGO)
    paid_on, reversed_on = datetime.date(2026, 4, 1), datetime.date(2026, 4, 20)
    payment = pay(act, billing, "500", [invoice], date=paid_on)
    act(services.payment_reverse, payment=payment, reason="Bounced", date=reversed_on)
    day = datetime.timedelta(days=1)
    with activate(billing["tenant"]):
        assert payment_selectors.outstanding(invoice, as_of=paid_on - day) == D("1080")
        assert payment_selectors.outstanding(invoice, as_of=paid_on) == D("580")
        assert payment_selectors.outstanding(invoice, as_of=reversed_on - day) == D("580")
        assert payment_selectors.outstanding(invoice, as_of=reversed_on) == D("1080")
        assert payment_selectors.outstanding(invoice) == D("1080")


def test_payments_allocations_and_reversals_are_never_changed_or_deleted(act, billing):
    invoice = issue(act, billing)
    payment = pay(act, billing, "100", [invoice])
    reversal = act(services.payment_reverse, payment=payment, reason="Entered twice")
    allocation = payment.allocations.get()
    with activate(billing["tenant"]):
        for row in (payment, allocation, reversal):
            model = type(row)
            with pytest.raises(ValidationError, match="never changed or deleted"):
                row.save()
            with pytest.raises(ValidationError, match="never changed or deleted"):
                row.delete()
            with pytest.raises(ValidationError, match="never changed or deleted"):
                model.objects.filter(pk=row.pk).update(created_by=None)
            with pytest.raises(ValidationError, match="never changed or deleted"):
                model.objects.filter(pk=row.pk).delete()
        payment.refresh_from_db()
        assert payment.amount == 100 and Allocation.objects.count() == 1


def test_every_payment_and_allocation_is_audited(act, billing):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION)
    payment = pay(act, billing, "1200", [first], reference="BACS 991")
    act(services.payment_allocate, payment=payment, invoice=second)
    with activate(billing["tenant"]):
        recorded = AuditEntry.objects.get(object_type="invoicing.payment")
        assert recorded.action == "payment recorded"
        assert (recorded.after["amount"], recorded.after["unallocated"]) == ("1200.00", "120.00")
        assert recorded.after["reference"] == "BACS 991"
        allocated = AuditEntry.objects.filter(action="payment allocated").order_by("pk")
        assert [(e.object_id, e.after["amount"], e.after["outstanding"]) for e in allocated] == [
            (first.pk, "1080.00", "0.00"),
            (second.pk, "120.00", "960.00"),
        ]


# --- Foreign currency ---------------------------------------------------------------------------


@pytest.fixture
def pounds_base(billing):
    """The company keeps its books in GBP; the project invoices in EUR at 0.86 on 20 Mar."""
    billing["tenant"].base_currency = "GBP"
    billing["tenant"].save()
    for day, rate in ((datetime.date(2026, 3, 20), "0.86"), (datetime.date(2026, 4, 10), "0.88")):
        ExchangeRate.objects.create(
            tenant=billing["tenant"], currency="EUR", date=day, rate=D(rate)
        )


def test_a_payment_in_another_currency_keeps_its_rate_and_realises_the_difference(
    act, billing, pounds_base
):
    invoice = issue(act, billing, 2, on_date=datetime.date(2026, 3, 21))
    assert invoice.exchange_rate == D("0.86") and invoice.gross_total == 2160
    # The rate table's on the day received: 0.88 (10 Apr), 1,080 EUR → 21.60 GBP gained.
    first = pay(act, billing, "1080", [invoice], date=datetime.date(2026, 4, 12))
    assert first.exchange_rate == D("0.88")
    assert first.allocations.get().exchange_difference == D("21.6")
    # A rate entered (the bank's): 0.85, a loss of 10.80 GBP on the other 1,080 EUR.
    second = pay(
        act,
        billing,
        "1080",
        [invoice],
        date=datetime.date(2026, 4, 13),
        exchange_rate=D("0.85"),
    )
    assert second.allocations.get().exchange_difference == D("-10.8")
    assert state(invoice) == (InvoiceState.PAID, 0)
    with activate(billing["tenant"]):
        assert payment_selectors.exchange_difference_total() == D("10.8")
        assert payment_selectors.exchange_difference_total(date_to=datetime.date(2026, 4, 12)) == D(
            "21.6"
        )
        assert [a.payment_id for a in payment_selectors.exchange_differences()] == [
            first.pk,
            second.pk,
        ]
        detail = payment_selectors.payment_detail(second)
        assert detail["exchange_difference"] == D("-10.8")
    # A reversed payment's difference no longer counts.
    act(services.payment_reverse, payment=first, reason="Recalled by the bank")
    with activate(billing["tenant"]):
        assert payment_selectors.exchange_difference_total() == D("-10.8")


def test_a_payment_without_a_rate_for_its_day_is_refused_with_what_to_do(act, billing, pounds_base):
    invoice = issue(act, billing, on_date=datetime.date(2026, 3, 21))
    with pytest.raises(ValidationError, match="no EUR → GBP exchange rate for 01 Mar 2026"):
        pay(act, billing, "100", [invoice], date=datetime.date(2026, 3, 1))
    with pytest.raises(ValidationError, match="GBP is your base currency: leave the rate empty"):
        pay(act, billing, "100", currency="GBP", exchange_rate=D("1.2"))


def test_a_credit_note_takes_the_rate_of_the_invoice_it_credits(act, billing, pounds_base):
    invoice = issue(act, billing, on_date=datetime.date(2026, 3, 21))
    note = act(services.invoice_credit, invoice=invoice, reason="Cancelled")
    assert Allocation.objects.get(credit_note=note).exchange_difference == 0


# --- Concurrency --------------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_payments_at_once_never_allocate_more_than_the_invoice_owes(
    postgres_only, act, billing
):
    invoice = issue(act, billing)
    tenant, finance = billing["tenant"], billing["world"].finance
    barrier = threading.Barrier(2)
    failures = []

    def record(amount):
        try:
            barrier.wait()
            with activate(tenant):
                services.payment_record(
                    tenant=tenant,
                    by=finance,
                    billing_account=billing["account"],
                    amount=D(amount),
                    currency="EUR",
                    invoices=[invoice],
                )
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(amount,)) for amount in ("1000", "900")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with activate(tenant):
        allocated = sorted(a.amount for a in Allocation.objects.filter(invoice=invoice))
        # One waited for the other's lock on the invoice, then paid what was left.
        assert allocated in ([80, 1000], [180, 900])
        assert state(invoice) == (InvoiceState.PAID, 0)
        figures = balance(billing)
        assert figures.unallocated_payments == 1900 - 1080


def test_the_allocated_subquery_is_compiled_once_per_list_query(act, billing):
    """`with_state` reads `allocated` four times; its SQL is built once and written four times
    (issue 18: each compilation cost about 1 ms of the invoice list)."""
    from unittest import mock

    from django.db.models import Subquery

    queryset = payment_selectors.with_state(Invoice.objects.all())
    with mock.patch.object(Subquery, "as_sql", autospec=True, side_effect=Subquery.as_sql) as built:
        sql, _params = queryset.query.get_compiler(using="default").as_sql()
    compiled = [call.args[0] for call in built.call_args_list]
    # The allocated sum once, and once the reversal check inside it (an Exists is a Subquery).
    assert [type(each).__name__ for each in compiled] == ["_CompiledOnce", "Exists"]
    assert sql.count("invoicing_allocation") == 4


def test_compiling_the_allocated_subquery_once_writes_the_same_sql(act, billing):
    from unittest import mock

    from django.db.models import Subquery

    states = payment_selectors.with_state(Invoice.objects.all())
    shapes = [
        states,
        payment_selectors.in_state(Invoice.objects.all(), InvoiceState.PARTLY_PAID),
        Invoice.objects.filter(
            pk__in=payment_selectors.overdue(Invoice.objects.all()).values("pk")
        ),
        states.filter(state=InvoiceState.OPEN) | states.filter(outstanding__gt=0),
        states.order_by("state", "-outstanding"),
    ]

    def sql(queryset):
        return queryset.query.get_compiler(using="default").as_sql()

    memoised = [sql(queryset) for queryset in shapes]
    with mock.patch.object(payment_selectors._CompiledOnce, "as_sql", Subquery.as_sql):
        assert [sql(queryset) for queryset in shapes] == memoised
