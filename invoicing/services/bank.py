"""Bank statements (issue 16, part 4): save a bank's CSV column mapping, import a parsed
statement (`invoicing.bank_parsing`), match its credit lines, and confirm or ignore each line.

Rules:
- a camt.053 statement must be of the chosen bank account (its IBAN);
- a line is imported once per bank account (its key: the bank's transaction id, or the
  statement id and entry reference): importing the same statement again creates nothing and
  says it was imported already; a file is saved whole or not at all;
- only credits (money in) are matched (`invoicing.bank_selectors.propose`); debits are listed
  as ignored. Nothing is confirmed automatically;
- confirming a credit line records one payment through `payment_record` (in the same
  transaction), allocated as finance chose (split over several invoices of one billing
  account, or nothing: all of it on the account); what is not allocated stays on the
  account's balance. The payment names the line (`BankStatementLine.payment`, and its note);
- a line is confirmed or ignored once.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from invoicing.bank_parsing import compact_iban
from invoicing.bank_selectors import propose
from invoicing.models import (
    BankCsvMapping,
    BankLineMatch,
    BankStatement,
    BankStatementLine,
    Direction,
    Invoice,
    LineStatus,
    PayerIban,
    Payment,
    PaymentMethod,
)
from invoicing.services.payments import payment_record

MONEY_OUT = "Money out: only money in is matched."


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


# --- The CSV mapping ----------------------------------------------------------------------------


@transaction.atomic
def csv_mapping_save(*, tenant, by, bank_account, values: dict) -> BankCsvMapping:
    """Save (or replace) the bank account's CSV column mapping."""
    require_active(tenant)
    check_tenant(tenant, bank_account)
    mapping = BankCsvMapping.objects.filter(bank_account=bank_account).first() or BankCsvMapping(
        tenant=tenant, bank_account=bank_account
    )
    before = mapping.columns() if mapping.pk else None
    for name in (*BankCsvMapping.COLUMNS, "date_format", "decimal_format"):
        setattr(mapping, name, (values.get(name) or "").strip())
    if not mapping.date_column:
        raise ValidationError(
            {"date_column": gettext("Choose the column that holds the booking date.")}
        )
    if not (mapping.amount_column or mapping.credit_column or mapping.debit_column):
        raise ValidationError(
            {
                "amount_column": gettext(
                    "Choose the amount column, or the money in and money out columns."
                )
            }
        )
    if mapping.amount_column and (mapping.credit_column or mapping.debit_column):
        raise ValidationError(
            {
                "amount_column": gettext(
                    "Choose either one amount column or money in and out columns."
                )
            }
        )
    mapping.full_clean(exclude=["tenant", "bank_account"])
    mapping.save()
    audit(
        tenant=tenant,
        actor=by,
        action="bank CSV mapping saved",
        obj=bank_account,
        before=before,
        after=mapping.columns(),
    )
    return mapping


# --- Import -------------------------------------------------------------------------------------


def check_statement_account(parsed: dict, bank_account) -> None:
    """A camt.053 statement belongs to the bank account it is imported for."""
    iban = compact_iban(parsed.get("iban", ""))
    if parsed.get("file_format") == "camt053" and iban != compact_iban(bank_account.iban):
        raise ValidationError(
            gettext(
                "This statement is of account %(IBAN)s, not of %(label)s (%(IBAN2)s): choose that "
                "bank account, or download the right statement."
            )
            % {
                "IBAN": iban or "without an IBAN",
                "label": bank_account.label,
                "IBAN2": bank_account.iban or "no IBAN",
            }
        )


def imported_keys(bank_account, keys: Sequence[str]) -> set[str]:
    """Which of `keys` the bank account has imported already."""
    found: set[str] = set()
    keys = list(keys)
    for start in range(0, len(keys), 500):
        found.update(
            BankStatementLine.objects.filter(
                bank_account=bank_account, key__in=keys[start : start + 500]
            ).values_list("key", flat=True)
        )
    return found


@dataclass
class ImportResult:
    statement: BankStatement | None
    new: int
    already: int
    matched: int

    @property
    def message(self) -> str:
        if self.statement is None:
            return (
                f"This statement was imported already: all {self.already} of its lines are "
                "on the list. Nothing was imported twice."
            )
        text = f"Imported {self.new} statement lines; {self.matched} have a proposed match."
        if self.already:
            text += f" {self.already} lines were imported already and were left as they are."
        return text


@transaction.atomic
def statement_import(*, tenant, by, bank_account, parsed: dict) -> ImportResult:
    """Save a parsed statement's lines that are new to the bank account and match its credits.
    `parsed`: `ParsedStatement.as_state()` (what the preview stored)."""
    require_active(tenant)
    check_tenant(tenant, bank_account)
    check_statement_account(parsed, bank_account)
    rows = parsed.get("lines") or []
    if not rows:
        raise ValidationError(gettext("The statement holds no lines to import."))
    seen = imported_keys(bank_account, [row["key"] for row in rows])
    new = [row for row in rows if row["key"] not in seen]
    if not new:
        return ImportResult(statement=None, new=0, already=len(rows), matched=0)
    statement = BankStatement.objects.create(
        tenant=tenant,
        bank_account=bank_account,
        file_format=parsed["file_format"],
        statement_id=(parsed.get("statement_id") or "")[:100],
        file_name=(parsed.get("file_name") or "")[:255],
        imported_by=_user(by),
    )
    lines = []
    for row in new:
        debit = row["direction"] == Direction.DEBIT
        line = BankStatementLine(
            tenant=tenant,
            statement=statement,
            bank_account=bank_account,
            key=row["key"],
            booking_date=datetime.date.fromisoformat(row["booking_date"]),
            value_date=datetime.date.fromisoformat(row["value_date"])
            if row.get("value_date")
            else None,
            direction=row["direction"],
            amount=Decimal(row["amount"]),
            currency=row["currency"],
            reference=row.get("reference", ""),
            end_to_end_id=row.get("end_to_end_id", ""),
            bank_reference=row.get("bank_reference", ""),
            counterparty_name=row.get("counterparty_name", ""),
            counterparty_iban=row.get("counterparty_iban", ""),
            status=LineStatus.IGNORED if debit else LineStatus.NEW,
            ignore_reason=MONEY_OUT if debit else "",
        )
        line.full_clean(exclude=["tenant", "statement", "bank_account", "key"])
        lines.append(line)
    BankStatementLine.objects.bulk_create(lines)
    lines = list(statement.lines.filter(direction=Direction.CREDIT).order_by("pk"))
    matched = sum(1 for line in lines if _match(tenant, line))
    audit(
        tenant=tenant,
        actor=by,
        action="bank statement imported",
        obj=statement,
        after={
            "bank account": bank_account.label,
            "file": statement.file_name,
            "new lines": len(new),
            "imported before": len(rows) - len(new),
            "matched": matched,
        },
    )
    return ImportResult(
        statement=statement, new=len(new), already=len(rows) - len(new), matched=matched
    )


def _match(tenant, line: BankStatementLine) -> bool:
    """Store what matching proposes for an open credit line; True when it proposes invoices."""
    proposal = propose(line, tenant=tenant)
    line.matches.all().delete()
    BankLineMatch.objects.bulk_create(
        BankLineMatch(tenant=tenant, line=line, invoice=invoice, amount=amount)
        for invoice, amount in proposal.parts
    )
    line.status = LineStatus.MATCHED if proposal.found else LineStatus.NEW
    line.match_reason = proposal.reason[:300]
    line.proposed_account = proposal.account
    line.save(update_fields=["status", "match_reason", "proposed_account"])
    return proposal.found


@transaction.atomic
def line_rematch(*, tenant, by, line: BankStatementLine) -> bool:
    """Match an open credit line again (invoices issued or paid since the import)."""
    require_active(tenant)
    check_tenant(tenant, line)
    line = _locked_open(line)
    return _match(tenant, line)


# --- Review -------------------------------------------------------------------------------------


def _locked_open(line: BankStatementLine) -> BankStatementLine:
    line = BankStatementLine.objects.select_for_update().select_related("statement").get(pk=line.pk)
    if line.direction != Direction.CREDIT:
        raise ValidationError(MONEY_OUT)
    if line.status == LineStatus.CONFIRMED:
        raise ValidationError(gettext("This line was confirmed already: it is a payment now."))
    if line.status == LineStatus.IGNORED:
        raise ValidationError(gettext("This line is ignored: it is not a customer payment."))
    return line


@transaction.atomic
def line_confirm(
    *,
    tenant,
    by,
    line: BankStatementLine,
    parts: Sequence[tuple[Invoice, Decimal]] = (),
    billing_account=None,
) -> Payment:
    """Turn a credit line into a payment of its whole amount from the invoices' billing account
    (or `billing_account`, to leave it all on the account), allocated by `parts` (invoice,
    amount): the proposal as it was, or as finance corrected or split it."""
    require_active(tenant)
    invoices = [invoice for invoice, _amount in parts]
    check_tenant(tenant, line, billing_account, *invoices)
    line = _locked_open(line)
    if billing_account is None:
        if not invoices:
            raise ValidationError(
                gettext(
                    "Choose the invoice (or invoices) this line pays, or the account it came from."
                )
            )
        billing_account = invoices[0].billing_account
    amounts: dict[int, Decimal] = {}
    for invoice, amount in parts:
        if invoice.pk in amounts:
            raise ValidationError(
                gettext("%(invoice)s is chosen twice: give it one amount.") % {"invoice": invoice}
            )
        amounts[invoice.pk] = amount
    payment = payment_record(
        tenant=tenant,
        by=by,
        billing_account=billing_account,
        amount=line.amount,
        currency=line.currency,
        date=line.booking_date,
        method=PaymentMethod.BANK_TRANSFER,
        reference=(line.reference or line.end_to_end_id or line.bank_reference)[:100],
        note=f"Bank statement line #{line.pk} ({line.statement}, {line.counterparty_name})"[:500],
        invoices=invoices,
        amounts=amounts,
    )
    line.payment = payment
    line.status = LineStatus.CONFIRMED
    line.proposed_account = billing_account
    line.decided_by = _user(by)
    line.decided_at = timezone.now()
    line.save(update_fields=["payment", "status", "proposed_account", "decided_by", "decided_at"])
    if line.counterparty_iban:
        PayerIban.objects.update_or_create(
            tenant=tenant, iban=line.counterparty_iban, defaults={"account": billing_account}
        )
    audit(
        tenant=tenant,
        actor=by,
        action="bank line confirmed",
        obj=line,
        after={
            "payment": f"#{payment.pk}",
            "account": billing_account.name,
            "amount": line.amount,
            "invoices": {str(invoice): amount for invoice, amount in parts},
        },
    )
    return payment


@transaction.atomic
def line_ignore(*, tenant, by, line: BankStatementLine, reason: str = "") -> BankStatementLine:
    """Mark a credit line "not a customer payment" (a refund, a transfer between accounts)."""
    require_active(tenant)
    check_tenant(tenant, line)
    line = _locked_open(line)
    line.status = LineStatus.IGNORED
    line.ignore_reason = ((reason or "").strip() or "Not a customer payment.")[:200]
    line.decided_by = _user(by)
    line.decided_at = timezone.now()
    line.save(update_fields=["status", "ignore_reason", "decided_by", "decided_at"])
    line.matches.all().delete()
    audit(
        tenant=tenant,
        actor=by,
        action="bank line ignored",
        obj=line,
        after={"reason": line.ignore_reason},
    )
    return line
