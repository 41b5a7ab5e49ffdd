"""Pages of payments (issue 16, part 1): record a payment, a payment's page, reverse it (asked
once), allocate what a payment or credit note has left (asked once); and what the invoice page's
payments panel and the billing account's invoices tab show. Finance and admins write
(`permissions.INVOICE`); whoever sees money reads."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View

from accounts.platform import permissions
from accounts.platform.access import can
from accounts.platform.bounds import parse_id
from accounts.platform.forms import add_service_error
from accounts.platform.money import round_money
from accounts.platform.views import TenantViewMixin
from invoicing import access, payment_selectors, services
from invoicing.forms import AllocationForm, PaymentForm, PaymentReversalForm
from invoicing.models import Invoice, InvoiceState, Payment
from invoicing.services.payments import allocation_plan

PAYABLE = (InvoiceState.OPEN, InvoiceState.PARTLY_PAID, InvoiceState.OVERDUE)


def _payment_form(request, account, data=None, *, invoice=None) -> PaymentForm:
    """The form to record a payment from `account`, prefilled for `invoice` (its currency and
    what is outstanding on it) or with the account's first open invoice's currency."""
    open_invoices = payment_selectors.open_invoices(billing_account=account)
    initial = {"date": timezone.localdate(), "currency": request.tenant.base_currency}
    if invoice is not None:
        initial.update(
            currency=invoice.currency,
            amount=round_money(invoice.outstanding, invoice.currency),
            invoices=[invoice.pk],
        )
    else:
        first = open_invoices.first()
        if first is not None:
            initial["currency"] = first.currency
    return PaymentForm(
        data,
        initial=initial,
        open_invoices=open_invoices,
        base_currency=request.tenant.base_currency,
    )


def invoice_payments_context(request, invoice: Invoice) -> dict:
    """The invoice page's payments panel: its allocations, what is outstanding (or, on a credit
    note, what is left of it), and the form to record a payment."""
    context = {"allocations": payment_selectors.allocations_of(invoice)}
    if invoice.is_draft:
        return context
    if invoice.is_credit_note:
        note = payment_selectors.with_credit_left(Invoice.objects.filter(pk=invoice.pk)).get()
        context["credit_left"] = note.unallocated
    elif can(request, permissions.INVOICE) and invoice.state in PAYABLE:
        context["payment_form"] = _payment_form(request, invoice.billing_account, invoice=invoice)
    return context


def account_payments_context(request, account) -> dict:
    """The billing account's invoices tab: its balance per currency and its latest payments."""
    return {
        "balances": payment_selectors.account_balance(account),
        "payments": payment_selectors.payments_of(account),
        "can_record_payments": can(request, permissions.INVOICE),
    }


class PaymentRecordView(TenantViewMixin, View):
    """Record a payment from a billing account against one or several of its open invoices
    (GET ?invoice=<id> prefills the form for that invoice)."""

    permission = permissions.INVOICE
    write_permission = permissions.INVOICE
    template_name = "invoicing/payment_form.html"

    def render_page(self, account, form, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "account": account,
                "form": form,
                "balances": payment_selectors.account_balance(account),
            },
            status=status,
        )

    def get(self, request, account_pk):
        account = access.get_billing_account_for_payments(request, account_pk)
        invoice = None
        if parse_id(request.GET.get("invoice")):
            invoice = (
                payment_selectors.open_invoices(billing_account=account)
                .filter(pk=parse_id(request.GET["invoice"]))
                .first()
            )
        return self.render_page(account, _payment_form(request, account, invoice=invoice))

    def post(self, request, account_pk):
        account = access.get_billing_account_for_payments(request, account_pk)
        form = _payment_form(request, account, request.POST)
        if not form.is_valid():
            return self.render_page(account, form, status=422)
        data = form.cleaned_data
        chosen = form.chosen_invoices()
        try:
            payment = services.payment_record(
                tenant=request.tenant,
                by=request.user,
                billing_account=account,
                date=data["date"],
                amount=data["amount"],
                currency=data["currency"],
                method=data["method"],
                reference=data["reference"],
                note=data["note"],
                exchange_rate=data["exchange_rate"],
                invoices=chosen,
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_page(account, form, status=422)
        detail = payment_selectors.payment_detail(payment)
        currency = payment.currency
        paid = ", ".join(
            f"{round_money(allocation.amount, currency):,} to {allocation.invoice.number}"
            for allocation in detail["allocations"]
        )
        left = round_money(detail["payment"].unallocated, currency)
        messages.success(
            request,
            f"Payment of {round_money(payment.amount, currency):,} {currency} recorded"
            + (f": {paid}" if paid else "")
            + (f"; {left:,} {currency} left on the account." if left else "."),
        )
        return redirect(chosen[0] if len(chosen) == 1 else payment)


class PaymentDetailView(TenantViewMixin, View):
    permission = permissions.SEE_MONEY
    template_name = "invoicing/payment_detail.html"

    def get(self, request, pk):
        payment = access.get_payment_for_user(request, pk)
        return render(
            request,
            self.template_name,
            {
                **payment_selectors.payment_detail(payment),
                "can_invoice": can(request, permissions.INVOICE),
            },
        )


class PaymentReverseView(TenantViewMixin, View):
    """Asks once, saying what the reversal will do; the POST (with the reason) reverses."""

    permission = permissions.INVOICE
    write_permission = permissions.INVOICE
    template_name = "invoicing/payment_reverse.html"

    def render_page(self, payment, form, status=200):
        return render(
            self.request,
            self.template_name,
            {**payment_selectors.payment_detail(payment), "form": form},
            status=status,
        )

    def get(self, request, pk):
        return self.render_page(access.get_payment_for_write(request, pk), PaymentReversalForm())

    def post(self, request, pk):
        payment = access.get_payment_for_write(request, pk)
        form = PaymentReversalForm(request.POST)
        if not form.is_valid():
            return self.render_page(payment, form, status=422)
        try:
            services.payment_reverse(
                tenant=request.tenant,
                by=request.user,
                payment=payment,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_page(payment, form, status=422)
        messages.success(
            request,
            gettext("%(payment)s reversed: what it paid is outstanding again on its invoices.")
            % {"payment": payment},
        )
        return redirect(payment)


def _sources(account) -> list[tuple]:
    """(key, row, label) of what the account has left to allocate: payments, then credits."""
    sources = [
        (
            f"payment-{payment.pk}",
            payment,
            f"Payment #{payment.pk} of {payment.date:%d %b %Y}"
            f"{' (' + payment.reference + ')' if payment.reference else ''}: "
            f"{round_money(payment.unallocated, payment.currency):,} {payment.currency} left",
        )
        for payment in payment_selectors.unallocated_payments(billing_account=account)[:100]
    ]
    sources += [
        (
            f"credit-{note.pk}",
            note,
            f"Credit note {note.number}: "
            f"{round_money(note.unallocated, note.currency):,} {note.currency} left",
        )
        for note in payment_selectors.unallocated_credits(billing_account=account)[:100]
    ]
    return sources


class AllocateView(TenantViewMixin, View):
    """Allocate (part of) what a payment or credit note of the account has left to one of its
    open invoices: the form, then what will happen (asked once), then the allocation."""

    permission = permissions.INVOICE
    write_permission = permissions.INVOICE
    template_name = "invoicing/allocate.html"

    def form(self, account, data=None):
        initial = {}
        for name, prefix in (("payment", "payment-"), ("credit_note", "credit-")):
            if parse_id(self.request.GET.get(name)):
                initial["source"] = f"{prefix}{parse_id(self.request.GET[name])}"
        if parse_id(self.request.GET.get("invoice")):
            initial["invoice"] = parse_id(self.request.GET["invoice"])
        return AllocationForm(
            data,
            initial=initial,
            sources=_sources(account),
            open_invoices=payment_selectors.open_invoices(billing_account=account),
        )

    def render_page(self, account, form, plan=None, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "account": account,
                "form": form,
                "plan": plan,
                "balances": payment_selectors.account_balance(account),
            },
            status=status,
        )

    def get(self, request, account_pk):
        account = access.get_billing_account_for_payments(request, account_pk)
        return self.render_page(account, self.form(account))

    def post(self, request, account_pk):
        account = access.get_billing_account_for_payments(request, account_pk)
        form = self.form(account, request.POST)
        if not form.is_valid():
            return self.render_page(account, form, status=422)
        data, source = form.cleaned_data, form.source_row()
        call = {"tenant": request.tenant, "invoice": data["invoice"], "amount": data["amount"]}
        try:
            if not data["confirm"]:
                plan = allocation_plan(source=source, **call)
                return self.render_page(account, form, plan=plan)
            if isinstance(source, Payment):
                allocation = services.payment_allocate(by=request.user, payment=source, **call)
            else:
                allocation = services.credit_allocate(by=request.user, credit_note=source, **call)
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_page(account, form, status=422)
        currency = data["invoice"].currency
        messages.success(
            request,
            (
                gettext("%(currency)s %(currency2)s allocated to %(invoice_number)s.")
                % {
                    "currency": format(round_money(allocation.amount, currency), ","),
                    "currency2": currency,
                    "invoice_number": data["invoice"].number,
                }
            ),
        )
        return redirect(data["invoice"])
