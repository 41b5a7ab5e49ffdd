"""Demo data of bank statements (issue 16, part 4), after the payments: a camt.053.001.08
end-of-day statement of Northwind's NatWest GBP account, imported as finance would, with

- a customer payment naming its invoice in the remittance text: confirmed, now a payment;
- a payment naming two invoices: matched, waiting for finance to confirm;
- a payment of exactly what one invoice of the payer has outstanding, without a reference:
  matched by amount and payer, waiting;
- a payment nobody can place (an amount no open invoice has): new, for finance to choose;
- a refund from a venue: marked "not a customer payment";
- the bank's monthly fee (money out): listed, ignored.
"""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import BankAccount
from invoicing import services
from invoicing.bank_parsing import parse_camt053
from invoicing.models import BankStatementLine
from invoicing.payment_selectors import open_invoices

ENTRY = """
      <Ntry>
        <Amt Ccy="{currency}">{amount}</Amt>
        <CdtDbtInd>{indicator}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{day}</Dt></BookgDt>
        <ValDt><Dt>{day}</Dt></ValDt>
        <AcctSvcrRef>{ref}</AcctSvcrRef>
        <NtryDtls>
          <TxDtls>
            <Refs><EndToEndId>{ref}-E2E</EndToEndId></Refs>
            <Amt Ccy="{currency}">{amount}</Amt>
            <RltdPties>
              <{role}><Pty><Nm>{name}</Nm></Pty></{role}>
            </RltdPties>
            <RmtInf><Ustrd>{text}</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>"""

STATEMENT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>NWBK-{day}</MsgId><CreDtTm>{day}T22:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>NWBK-STMT-{day}</Id>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>{entries}
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def build(tenant, *, user, rng) -> None:
    bank = BankAccount.objects.filter(bank_name="NatWest", iban__gt="").first()
    if bank is None:
        return
    currency = bank.currency or tenant.base_currency
    waiting = list(open_invoices(currency=currency).select_related("billing_account")[:40])
    by_account: dict[int, list] = {}
    for invoice in waiting:
        by_account.setdefault(invoice.billing_account_id, []).append(invoice)
    pairs = [invoices[:2] for invoices in by_account.values() if len(invoices) >= 2]
    if not pairs or len(waiting) < 4:
        return
    day = timezone.localdate() - datetime.timedelta(days=1)
    named = waiting[0]  # paid in full, naming its number: confirmed below
    two = next((pair for pair in pairs if named not in pair), None)  # one transfer for two
    taken = {named.pk, *(invoice.pk for invoice in two or ())}
    amounts = [invoice.outstanding for invoice in waiting]
    by_payer = next(  # an amount no other open invoice has: found by amount and payer
        (
            invoice
            for invoice in waiting
            if invoice.pk not in taken and amounts.count(invoice.outstanding) == 1
        ),
        None,
    )

    def entry(ref, amount, text, name, indicator="CRDT"):
        return ENTRY.format(
            currency=currency,
            amount=f"{Decimal(amount):.2f}",
            indicator=indicator,
            day=day.isoformat(),
            ref=ref,
            role="Dbtr" if indicator == "CRDT" else "Cdtr",
            name=name,
            text=text,
        )

    entries = [
        entry(
            "NW-0001",
            named.outstanding,
            f"Remittance {named.number} thank you",
            named.billing_account.name,
        )
    ]
    if two is not None:
        entries.append(
            entry(
                "NW-0002",
                sum((invoice.outstanding for invoice in two), Decimal(0)),
                f"Invoices {two[0].number.replace('-', ' ')} and {two[1].number}",
                two[0].billing_account.name.upper(),
            )
        )
    if by_payer is not None:
        entries.append(
            entry("NW-0003", by_payer.outstanding, "Training", by_payer.billing_account.name)
        )
    entries += [
        entry("NW-0004", "317.45", "Course booking", "J. Whitfield"),
        entry("NW-0005", "120.00", "Deposit refund, room hire", "Riverside Conference Centre"),
        entry("NW-0006", "18.50", "Account fee", "NatWest", indicator="DBIT"),
    ]
    xml = STATEMENT.format(
        day=day.isoformat(), iban=bank.iban, currency=currency, entries="".join(entries)
    )
    name = f"natwest-{day:%Y%m%d}.xml"
    parsed = parse_camt053(SimpleUploadedFile(name, xml.encode()), name=name)
    if not parsed.ok:  # pragma: no cover - the demo's own statement
        raise RuntimeError(f"Demo statement: {parsed.errors}")
    services.statement_import(tenant=tenant, by=user, bank_account=bank, parsed=parsed.as_state())
    lines = {line.key: line for line in BankStatementLine.objects.filter(bank_account=bank)}
    first = lines["ref:NW-0001"]
    services.line_confirm(
        tenant=tenant,
        by=user,
        line=first,
        parts=[(match.invoice, match.amount) for match in first.matches.select_related("invoice")],
    )
    services.line_ignore(
        tenant=tenant, by=user, line=lines["ref:NW-0005"], reason="Refund from a venue."
    )
