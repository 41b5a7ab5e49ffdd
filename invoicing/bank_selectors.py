"""Reads of bank statements (issue 16, part 4): what a credit line is proposed to pay, the open
invoices finance searches when correcting a match, and the statement lines list.

Matching proposes, in this order (the first that finds something wins; nothing is ever
confirmed here):

1. invoice numbers in the reference or remittance text: the company's invoice prefix followed
   by a number, tolerant of case, spaces and dashes (``NWT-00012``, ``nwt 12``, ``NWT00012``);
   several numbers propose several invoices, paid in the order named;
2. the amount equals what is outstanding on exactly one open invoice of a billing account whose
   name, or a known IBAN (`PayerIban`), matches the counterparty ("amount and payer");
3. the amount equals what is outstanding on exactly one open invoice of any account ("amount
   alone"). Two or more such invoices are ambiguous: nothing is proposed, finance chooses.

What is outstanding comes from `payment_selectors.open_invoices` (one definition).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from accounts.platform.money import round_money
from invoicing.models import (
    BankStatementLine,
    Direction,
    Invoice,
    LineStatus,
    PayerIban,
)
from invoicing.payment_selectors import open_invoices

TOLERANCE = Decimal("0.0005")  # outstanding is kept to three decimals
LEGAL_FORMS = {
    "ltd",
    "limited",
    "plc",
    "llp",
    "llc",
    "inc",
    "gmbh",
    "ag",
    "bv",
    "nv",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "co",
    "company",
    "the",
    "uk",
}


@dataclass
class Proposal:
    """What a credit line is proposed to pay: `parts` (invoice, amount) and why; `account`
    alone when only the payer is known."""

    reason: str = ""
    account: object = None
    parts: list[tuple[Invoice, Decimal]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.parts)


# --- Invoice numbers in a reference ---------------------------------------------------------


def number_pattern(prefix: str) -> re.Pattern | None:
    """The invoice prefix's letters and digits, each optionally followed by spaces or dashes,
    then the number (leading zeros optional). None for a prefix without letters or digits (a
    bare number in a reference is not taken for an invoice number)."""
    letters = [re.escape(char) for char in prefix if char.isalnum()]
    if not letters:
        return None
    body = r"[\s\-]*".join(letters)
    return re.compile(rf"(?<![A-Za-z0-9]){body}[\s\-/_.#:]*0*(\d{{1,9}})(?!\d)", re.IGNORECASE)


def invoice_numbers_in(text: str, prefix: str) -> list[int]:
    """The invoice sequence numbers named in `text`, in order, each once."""
    pattern = number_pattern(prefix)
    if pattern is None or not text:
        return []
    numbers: list[int] = []
    for match in pattern.finditer(text):
        number = int(match.group(1))
        if number and number not in numbers:
            numbers.append(number)
    return numbers


# --- Payer ------------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """A company name for comparison: accents, case, punctuation and legal forms dropped."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", text.lower().replace("&", " and "))
    return " ".join(word for word in words if word not in LEGAL_FORMS)


def names_match(account_name: str, counterparty: str) -> bool:
    """The same name, or one begins the other, or (two words at least) lies inside it."""
    a, b = name_key(account_name), name_key(counterparty)
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) < 4:
        return False
    if f"{longer} ".startswith(f"{shorter} "):  # "Acme" and "Acme Training"
        return True
    # Inside the other name: two words at least ("Health" is not "Meridian Health")
    return " " in shorter and f" {shorter} " in f" {longer} "


def known_payers(iban: str) -> set[int]:
    """The billing accounts that paid from `iban` before."""
    if not iban:
        return set()
    return set(PayerIban.objects.filter(iban=iban).values_list("account_id", flat=True))


# --- Proposals --------------------------------------------------------------------------------


def _shown(invoices) -> str:
    return ", ".join(invoice.number for invoice in invoices)


def propose(line: BankStatementLine, *, tenant) -> Proposal:
    """What matching proposes for a credit line (see the module docstring)."""
    if line.direction != Direction.CREDIT:
        return Proposal()
    numbers = invoice_numbers_in(line.reference, tenant.invoice_prefix)
    if numbers:
        proposal = _by_numbers(line, numbers)
        if proposal.found:
            return proposal
    return _by_amount(line)


def _by_numbers(line, numbers: list[int]) -> Proposal:
    found = {
        invoice.sequence_number: invoice
        for invoice in open_invoices(currency=line.currency)
        .filter(sequence_number__in=numbers)
        .select_related("billing_account")
    }
    invoices = [found[number] for number in numbers if number in found]
    if not invoices:
        return Proposal()
    account = invoices[0].billing_account
    invoices = [invoice for invoice in invoices if invoice.billing_account_id == account.pk]
    left, parts = line.amount, []
    for invoice in invoices:
        share = min(left, round_money(invoice.outstanding, invoice.currency))
        if share > 0:
            parts.append((invoice, share))
            left -= share
    used = [invoice for invoice, _share in parts]
    label = "invoice number" if len(used) == 1 else "invoice numbers"
    reason = f"{label} {_shown(used)} in the reference"
    if left > 0:
        reason += (
            f"; {round_money(left, line.currency):,} {line.currency} more than is outstanding "
            "stays on the account"
        )
    return Proposal(reason=reason, account=account, parts=parts)


def _by_amount(line) -> Proposal:
    candidates = list(
        open_invoices(currency=line.currency)
        .filter(
            outstanding__gte=line.amount - TOLERANCE,
            outstanding__lte=line.amount + TOLERANCE,
        )
        .select_related("billing_account")[:50]
    )
    payers = known_payers(line.counterparty_iban)
    by_payer = [
        invoice
        for invoice in candidates
        if invoice.billing_account_id in payers
        or names_match(invoice.billing_account.name, line.counterparty_name)
    ]
    if len(by_payer) == 1:
        (invoice,) = by_payer
        return Proposal(
            reason=f"amount and payer ({invoice.billing_account.name})",
            account=invoice.billing_account,
            parts=[(invoice, line.amount)],
        )
    if len(by_payer) > 1:
        return Proposal(
            reason=f"{len(by_payer)} open invoices of {by_payer[0].billing_account.name} have "
            "this amount: choose one",
            account=by_payer[0].billing_account,
        )
    if len(candidates) == 1:
        (invoice,) = candidates
        return Proposal(
            reason="amount alone (the only open invoice of "
            f"{round_money(line.amount, line.currency):,} {line.currency})",
            account=invoice.billing_account,
            parts=[(invoice, line.amount)],
        )
    if candidates:
        return Proposal(
            reason=f"{len(candidates)} open invoices have this amount: choose one",
        )
    return Proposal(reason="no open invoice matches: choose one, or ignore the line")


# --- Correcting a match -----------------------------------------------------------------------


def search_open_invoices(query: str, *, currency: str, limit: int = 20) -> list[Invoice]:
    """Open invoices in `currency` whose number or billing account's name holds every word of
    `query` (the correction's search box), oldest due first."""
    invoices = open_invoices(currency=currency).select_related("billing_account")
    words = (query or "").split()[:5]
    if not words:
        return []
    for word in words:
        word = word[:50]
        invoices = invoices.filter(
            Q(number__icontains=word) | Q(billing_account__name__icontains=word)
        )
    return list(invoices[:limit])


def invoices_by_ids(ids, *, currency: str) -> list[Invoice]:
    """Open invoices among `ids` (what a correction picked), in the order given."""
    found = {
        invoice.pk: invoice
        for invoice in open_invoices(currency=currency)
        .filter(pk__in=list(ids)[:20])
        .select_related("billing_account")
    }
    return [found[pk] for pk in ids if pk in found]


# --- Lists ------------------------------------------------------------------------------------


def lines(*, status=None, direction=None, bank_account=None, statement=None) -> QuerySet:
    """Statement lines for the list and the review page, newest first, with what each needs."""
    rows = BankStatementLine.objects.select_related(
        "statement", "bank_account", "proposed_account", "payment"
    )
    if status:
        rows = rows.filter(status=status)
    if direction:
        rows = rows.filter(direction=direction)
    if bank_account:
        rows = rows.filter(bank_account=bank_account)
    if statement:
        rows = rows.filter(statement=statement)
    return rows.order_by("-booking_date", "-pk")


def status_counts() -> dict[str, int]:
    counts = dict(
        BankStatementLine.objects.order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    return {status: counts.get(status, 0) for status in LineStatus.values}


def statement_totals(statement) -> dict:
    return dict(
        statement.lines.order_by()
        .values_list("direction")
        .annotate(total=Sum("amount"))
        .values_list("direction", "total")
    )
