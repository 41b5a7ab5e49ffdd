"""Bank statements (issue 16, part 4): a bank CSV through a mapping saved per bank account, or a
camt.053 file; the same statement twice creates nothing twice; credits are matched by invoice
number, then amount and payer, then amount alone; finance confirms (a payment through the
payments service), corrects, splits or ignores.

The `billing` fixture's invoices are 1,080.00 EUR each (one place); the tenant's invoice prefix
is INV-, so the first invoice issued is INV-00001. The sample statements are under data/.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.platform.models import AuditEntry
from invoicing import payment_selectors, services
from invoicing.bank_parsing import parse_amount, parse_camt053, parse_csv
from invoicing.bank_selectors import invoice_numbers_in, names_match
from invoicing.models import (
    BankCsvMapping,
    BankStatement,
    BankStatementLine,
    Direction,
    Grouping,
    InvoiceState,
    LineStatus,
    PayerIban,
    Payment,
)
from tests.factories import AccountFactory, BankAccountFactory
from tests.invoicing.test_payments import LONG_AGO, invoice_of_another_account, issue

D = Decimal
DATA = Path(__file__).parent / "data"


def upload(name, content=None):
    data = content if content is not None else (DATA / name).read_bytes()
    if isinstance(data, str):
        data = data.encode()
    return SimpleUploadedFile(name, data)


def camt(name="camt053_v02.xml"):
    return parse_camt053(upload(name), name=name)


@pytest.fixture
def bank(billing):
    return BankAccountFactory(tenant=billing["tenant"], label="Commerzbank EUR")


def do_import(act, bank, parsed):
    assert parsed.ok, parsed.errors
    return act(services.statement_import, bank_account=bank, parsed=parsed.as_state())


def line_of(key):
    return BankStatementLine.objects.get(key=key)


def state(invoice):
    row = payment_selectors.state_of(invoice)
    return row["state"], row["outstanding"]


# --- Parsing ----------------------------------------------------------------------------------


def test_camt053_v02_reads_entries_with_remittance_batches_debits_and_currencies():
    parsed = camt()
    assert parsed.ok
    assert (parsed.statement_id, parsed.iban, parsed.skipped) == (
        "STMT-2026-03-31-001",
        "DE89370400440532013000",
        1,  # the pending entry is not booked
    )
    by_key = {line["key"]: line for line in parsed.lines}
    first = by_key["ref:2026032000001"]
    assert first["reference"] == "Payment of invoice INV-00001, thank you"  # Ustrd
    assert (first["counterparty_name"], first["counterparty_iban"]) == (
        "Meridian Health Ltd",
        "GB33BUKB20201555555555",
    )
    assert first["end_to_end_id"] == "MH-PAY-7781"
    # The batched entry: one line per transaction, each with its amount; Strd's reference.
    batch = [by_key["ref:2026032400007/1"], by_key["ref:2026032400007/2"]]
    assert [(line["amount"], line["reference"]) for line in batch] == [
        ("1080.00", "INV00002"),
        ("500.00", "Training March"),
    ]
    assert by_key["ref:2026032500002"]["direction"] == "debit"
    assert by_key["ref:2026032700011"]["currency"] == "USD"


def test_camt053_v08_reads_party_and_status_shapes_of_the_later_version():
    parsed = camt("camt053_v08.xml")
    credit, debit = parsed.lines
    assert credit["counterparty_name"] == "Meridian Health Ltd"  # Dbtr/Pty/Nm
    assert credit["booking_date"] == "2026-04-15"  # BookgDt/DtTm
    assert debit["direction"] == "debit"
    assert debit["reference"] == "Account fees April"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><x>&lol3;</x></Document>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><x>&xxe;</x></Document>"""


@pytest.mark.parametrize("content", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_hostile_xml_is_refused_unread(content):
    with pytest.raises(ValidationError, match="refused unread"):
        parse_camt053(upload("evil.xml", content), name="evil.xml")


def test_other_xml_and_broken_xml_are_refused_with_a_message():
    with pytest.raises(ValidationError, match=r"not a camt\.053 statement"):
        parse_camt053(upload("pain.xml", "<Document xmlns='urn:x'/>"), name="pain.xml")
    with pytest.raises(ValidationError, match="not well-formed"):
        parse_camt053(upload("cut.xml", "<Document"), name="cut.xml")


def test_an_entry_without_credit_or_debit_is_an_error_for_that_entry():
    text = (DATA / "camt053_v08.xml").read_text().replace("<CdtDbtInd>DBIT", "<CdtDbtInd>XXXX", 1)
    parsed = parse_camt053(upload("s.xml", text), name="s.xml")
    assert parsed.errors == [
        (
            "entry 2 of statement STMT-2026-04-15",
            "The entry says neither credit nor debit (CdtDbtInd).",
        )
    ]


@pytest.mark.parametrize(
    ("text", "fmt", "value"),
    [
        ("1,234.56", "point", D("1234.56")),
        ("1.234,56", "comma", D("1234.56")),
        ("-50,00", "comma", D("-50.00")),
        ("(75.10)", "point", D("-75.10")),
        ("€ 12.00", "point", D("12.00")),
    ],
)
def test_amounts_are_read_in_the_mapping_s_decimal_format(text, fmt, value):
    assert parse_amount(text, fmt) == value


MAPPING = {
    "date_column": "buchungstag",
    "amount_column": "",
    "credit_column": "haben",
    "debit_column": "soll",
    "currency_column": "",
    "reference_column": "verwendungszweck",
    "counterparty_name_column": "auftraggeber",
    "counterparty_iban_column": "iban",
    "transaction_id_column": "",
    "date_format": "%d.%m.%Y",
    "decimal_format": "comma",
}
GERMAN_CSV = (
    "Buchungstag;Verwendungszweck;Auftraggeber;IBAN;Soll;Haben\n"
    "20.03.2026;Rechnung INV-00001;Meridian Health Ltd;GB33 BUKB 2020 1555 5555 55;;1.080,00\n"
    "21.03.2026;Miete;Office Landlord;;250,00;\n"
    "22.03.2026;Spende;Someone;;;10,00\n"
    "22.03.2026;Spende;Someone;;;10,00\n"
)


def test_a_csv_is_read_by_its_mapping_with_an_error_per_bad_row():
    parsed = parse_csv(
        upload("bank.csv", GERMAN_CSV), name="bank.csv", mapping=MAPPING, default_currency="EUR"
    )
    assert parsed.ok
    first, rent, gift, same_gift = parsed.lines
    assert (first["amount"], first["direction"], first["counterparty_iban"]) == (
        "1080.00",
        "credit",
        "GB33BUKB20201555555555",
    )
    assert (rent["amount"], rent["direction"]) == ("250.00", "debit")
    assert gift["key"] != same_gift["key"]  # two identical rows are two payments

    bad = GERMAN_CSV + "31.02.2026;x;y;;;1,00\n01.04.2026;x;y;;;abc\n"
    parsed = parse_csv(
        upload("bank.csv", bad), name="bank.csv", mapping=MAPPING, default_currency="EUR"
    )
    assert [where for where, _message in parsed.errors] == ["row 6", "row 7"]
    assert "is not in the format 31.03.2026" in parsed.errors[0][1]
    assert "“abc” is not a number" in parsed.errors[1][1]


def test_a_german_company_reads_the_statements_problems_in_german():
    """The rows' and entries' problems and the file's refusals were English strings; and the
    row's sentence was capitalised with str.capitalize(), which lowercased the rest of it."""
    rows = (
        "Buchungstag;Verwendungszweck;Auftraggeber;IBAN;Soll;Haben;Waehrung\n"
        "20.03.2026;Rechnung INV-00001;Meridian Health Ltd;;;1.080,00;EUR\n"
        "31.02.2026;x;y;;;1,00;EURO\n"
        "01.04.2026;x;y;;;abc;EUR\n"
    )
    mapping = {**MAPPING, "currency_column": "waehrung"}
    text = (DATA / "camt053_v08.xml").read_text().replace("<CdtDbtInd>DBIT", "<CdtDbtInd>XXXX", 1)
    with translation.override("de"):
        parsed = parse_csv(
            upload("bank.csv", rows),
            name="bank.csv",
            mapping=mapping,
            default_currency="EUR",
        )
        entry = parse_camt053(upload("s.xml", text), name="s.xml")
        with pytest.raises(ValidationError) as refused:
            parse_camt053(upload("cut.xml", "<Document"), name="cut.xml")
    assert parsed.errors[0] == (
        "Zeile 3",
        "Das Datum „31.02.2026“ hat nicht das Format 31.03.2026; "
        "die Währung „EURO“ ist kein Code aus drei Buchstaben.",
    )
    assert parsed.errors[1] == ("Zeile 4", "Der Betrag „abc“ ist keine Zahl.")
    assert entry.errors == [
        (
            "Buchung 2 des Auszugs STMT-2026-04-15",
            "Die Buchung ist weder als Gutschrift noch als Belastung gekennzeichnet (CdtDbtInd).",
        )
    ]
    assert refused.value.messages == [
        "cut.xml ist kein wohlgeformtes XML: Laden Sie den Kontoauszug erneut herunter."
    ]


# --- Import: the mapping saved, nothing twice ------------------------------------------------


def test_the_csv_mapping_is_saved_per_bank_account_and_reused(act, bank, billing):
    act(services.csv_mapping_save, bank_account=bank, values=MAPPING)
    saved = BankCsvMapping.objects.get(bank_account=bank)
    assert saved.columns()["credit_column"] == "haben"
    assert (saved.date_format, saved.decimal_format) == ("%d.%m.%Y", "comma")
    with pytest.raises(ValidationError, match="either one amount column"):
        act(services.csv_mapping_save, bank_account=bank, values={**MAPPING, "amount_column": "x"})
    other = BankAccountFactory(tenant=billing["tenant"], label="Other")
    assert not BankCsvMapping.objects.filter(bank_account=other).exists()


def test_importing_the_same_statement_twice_creates_nothing_twice(act, bank):
    first = do_import(act, bank, camt())
    assert (first.new, first.already) == (6, 0)
    payments_before = Payment.objects.count()
    again = do_import(act, bank, camt())
    assert again.statement is None
    assert (again.new, again.already) == (0, 6)
    assert "imported already" in again.message
    assert BankStatement.objects.count() == 1
    assert BankStatementLine.objects.count() == 6
    assert Payment.objects.count() == payments_before  # nothing is ever confirmed on import


def test_a_statement_of_another_account_is_refused(act, billing):
    elsewhere = BankAccountFactory(tenant=billing["tenant"], iban="GB29NWBK60161331926819")
    with pytest.raises(ValidationError, match="not of"):
        do_import(act, elsewhere, camt())
    assert not BankStatementLine.objects.exists()


def test_a_csv_imported_twice_creates_nothing_twice(act, bank):
    parsed = parse_csv(
        upload("bank.csv", GERMAN_CSV), name="bank.csv", mapping=MAPPING, default_currency="EUR"
    )
    assert do_import(act, bank, parsed).new == 4
    assert do_import(act, bank, parsed).new == 0
    assert BankStatementLine.objects.count() == 4


# --- Matching -----------------------------------------------------------------------------------


def test_invoice_numbers_are_found_tolerant_of_case_spaces_and_dashes():
    text = "inv 00012 / INV-13, NWT-9 and INV0014; INV-00012 again"
    assert invoice_numbers_in(text, "INV-") == [12, 13, 14]
    assert invoice_numbers_in("paid 00012", "INV-") == []  # a bare number is not one
    assert invoice_numbers_in("N W T - 0 0 7", "NWT-") == []  # digits keep together
    assert invoice_numbers_in("nwt 007", "NWT-") == [7]


def test_payer_names_match_without_legal_forms_case_or_punctuation():
    assert names_match("Meridian Health", "MERIDIAN HEALTH LIMITED")
    assert names_match("Müller & Söhne GmbH", "Mueller and Sohne") is False
    assert names_match("Müller & Söhne GmbH", "MULLER AND SOHNE")
    assert not names_match("Health", "Meridian Health")  # too short a part to trust


def test_credits_are_matched_by_number_then_amount_and_payer_debits_ignored(act, billing, bank):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION, on_date=LONG_AGO)
    assert (first.number, second.number) == ("INV-00001", "INV-00002")
    do_import(act, bank, camt())
    by_number = line_of("ref:2026032000001")
    assert by_number.status == LineStatus.MATCHED
    assert by_number.match_reason == "invoice number INV-00001 in the reference"
    assert [(m.invoice_id, m.amount) for m in by_number.matches.all()] == [(first.pk, 1080)]
    structured = line_of("ref:2026032400007/1")
    assert structured.match_reason == "invoice number INV-00002 in the reference"  # Strd Ref
    debit = line_of("ref:2026032500002")  # names INV-00003 but is money out
    assert (debit.status, debit.direction) == (LineStatus.IGNORED, Direction.DEBIT)
    assert not debit.matches.exists()
    # Two open invoices of Meridian at 1,080: the line without a reference is not guessed.
    unreferenced = line_of("ref:2026033000004")
    assert unreferenced.status == LineStatus.NEW
    assert "2 open invoices of Meridian Health have this amount" in unreferenced.match_reason
    assert unreferenced.proposed_account == billing["account"]
    # Nothing is paid until finance confirms.
    assert state(first) == (InvoiceState.OVERDUE, 1080)


def test_amount_and_payer_matches_one_open_invoice_of_the_account(act, billing, bank):
    (invoice,) = [issue(act, billing, on_date=LONG_AGO)]
    invoice_of_another_account(act, billing, net="900")  # 1,080 gross too: another payer
    do_import(act, bank, camt())
    line = line_of("ref:2026033000004")
    assert line.status == LineStatus.MATCHED
    assert line.match_reason == "amount and payer (Meridian Health)"
    assert [m.invoice_id for m in line.matches.all()] == [invoice.pk]


def test_amount_alone_when_unique_and_ambiguous_amounts_are_not_proposed(act, billing, bank):
    harbour = invoice_of_another_account(act, billing, net="500")  # 500 exempt? no: 20 % VAT
    amount = str(harbour.gross_total)
    statement = (
        (DATA / "camt053_v02.xml")
        .read_text()
        .replace('<Amt Ccy="EUR">500.00</Amt>', f'<Amt Ccy="EUR">{amount}</Amt>')
        .replace('<Amt Ccy="EUR">1580.00</Amt>', f'<Amt Ccy="EUR">{D("1080") + D(amount)}</Amt>')
    )
    parsed = parse_camt053(upload("s.xml", statement), name="s.xml")
    # The Harbour payment's payer is not known by name here: "Harbour Clinics" is.
    do_import(act, bank, parsed)
    line = line_of("ref:2026032400007/2")
    assert line.match_reason == "amount and payer (Harbour Clinics)"

    # Another account with the same open amount: no longer unique, not proposed.
    BankStatementLine.objects.all().delete()
    invoice_of_another_account(act, billing, net="500")
    PayerIban.objects.all().delete()
    anonymous = statement.replace("<Nm>Harbour Clinics</Nm>", "<Nm>J Smith</Nm>")
    do_import(act, bank, parse_camt053(upload("s.xml", anonymous), name="s.xml"))
    line = line_of("ref:2026032400007/2")
    assert line.status == LineStatus.NEW
    assert line.match_reason == "2 open invoices have this amount: choose one"
    assert not line.matches.exists()


def test_amount_alone_proposes_the_only_open_invoice_of_that_amount(act, billing, bank):
    harbour = invoice_of_another_account(act, billing, net="500")
    statement = (
        (DATA / "camt053_v02.xml")
        .read_text()
        .replace('<Amt Ccy="EUR">500.00</Amt>', f'<Amt Ccy="EUR">{harbour.gross_total}</Amt>')
        .replace(
            '<Amt Ccy="EUR">1580.00</Amt>',
            f'<Amt Ccy="EUR">{D("1080") + harbour.gross_total}</Amt>',
        )
        .replace("<Nm>Harbour Clinics</Nm>", "<Nm>J Smith</Nm>")
    )
    do_import(act, bank, parse_camt053(upload("s.xml", statement), name="s.xml"))
    line = line_of("ref:2026032400007/2")
    assert line.status == LineStatus.MATCHED
    assert line.match_reason.startswith("amount alone")
    assert [m.invoice_id for m in line.matches.all()] == [harbour.pk]


def test_several_numbers_propose_several_invoices(act, billing, bank):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION, on_date=LONG_AGO)
    do_import(act, bank, camt("camt053_v08.xml"))
    line = BankStatementLine.objects.get(direction=Direction.CREDIT)
    assert line.match_reason == "invoice numbers INV-00001, INV-00002 in the reference"
    assert [(m.invoice_id, m.amount) for m in line.matches.all()] == [
        (first.pk, 1080),
        (second.pk, 1080),
    ]


# --- Confirm, split, correct, ignore ------------------------------------------------------------


def proposal(line):
    return [(match.invoice, match.amount) for match in line.matches.select_related("invoice")]


def test_confirming_a_match_records_a_payment_that_pays_the_invoice(act, billing, bank):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION, on_date=LONG_AGO)
    do_import(act, bank, camt("camt053_v08.xml"))
    line = BankStatementLine.objects.get(direction=Direction.CREDIT)
    payment = act(services.line_confirm, line=line, parts=proposal(line))
    line.refresh_from_db()
    assert (line.status, line.payment) == (LineStatus.CONFIRMED, payment)
    assert payment.bank_line == line  # the payment references the statement line
    assert (payment.amount, payment.date, payment.reference) == (
        2160,
        datetime.date(2026, 4, 15),
        "Invoices inv 00001 and INV - 2",
    )
    assert f"line #{line.pk}" in payment.note
    assert state(first) == (InvoiceState.PAID, 0)
    assert state(second) == (InvoiceState.PAID, 0)
    assert PayerIban.objects.get().account == billing["account"]  # learnt for next time
    assert AuditEntry.objects.filter(action="bank line confirmed").count() == 1
    with pytest.raises(ValidationError, match="confirmed already"):
        act(services.line_confirm, line=line, parts=proposal(line))
    assert Payment.objects.count() == 1


def test_a_split_pays_part_of_each_and_an_over_payment_stays_on_the_account(act, billing, bank):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION, on_date=LONG_AGO)
    do_import(act, bank, camt("camt053_v08.xml"))  # 2,160
    line = BankStatementLine.objects.get(direction=Direction.CREDIT)
    act(services.line_confirm, line=line, parts=[(first, D("1080")), (second, D("580"))])
    assert state(first) == (InvoiceState.PAID, 0)
    assert state(second) == (InvoiceState.OVERDUE, 500)  # partly paid, past due
    (balance,) = payment_selectors.account_balance(billing["account"])
    assert (balance.outstanding, balance.unallocated_payments) == (500, 500)


def test_a_split_over_more_than_the_line_is_refused_and_nothing_is_saved(act, billing, bank):
    first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION, on_date=LONG_AGO)
    do_import(act, bank, camt())
    line = line_of("ref:2026032000001")  # 1,080
    with pytest.raises(ValidationError, match="cannot pay more than that"):
        act(services.line_confirm, line=line, parts=[(first, D("1080")), (second, D("1"))])
    line.refresh_from_db()
    assert line.status == LineStatus.MATCHED
    assert not Payment.objects.exists()


def test_a_correction_pays_another_account_s_invoice(act, billing, bank):
    issue(act, billing, on_date=LONG_AGO)
    harbour = invoice_of_another_account(act, billing, net="500")
    do_import(act, bank, camt())
    line = line_of("ref:2026032000001")  # proposed: INV-00001 of Meridian
    payment = act(services.line_confirm, line=line, parts=[(harbour, harbour.gross_total)])
    assert payment.billing_account == harbour.billing_account
    assert state(harbour) == (InvoiceState.PAID, 0)
    assert payment_selectors.unallocated_payments().get().unallocated == 1080 - harbour.gross_total


def test_a_line_can_be_left_all_on_an_account(act, billing, bank):
    do_import(act, bank, camt())
    line = line_of("ref:2026033000004")
    act(services.line_confirm, line=line, billing_account=billing["account"])
    (balance,) = payment_selectors.account_balance(billing["account"])
    assert balance.unallocated_payments == 1080
    with pytest.raises(ValidationError, match="Choose the invoice"):
        act(services.line_confirm, line=line_of("ref:2026032000001"))


def test_ignoring_a_line_says_why_and_it_cannot_be_confirmed_after(act, billing, bank):
    invoice = issue(act, billing, on_date=LONG_AGO)
    do_import(act, bank, camt())
    line = line_of("ref:2026032000001")
    act(services.line_ignore, line=line, reason="Refund from the venue")
    line.refresh_from_db()
    assert (line.status, line.ignore_reason) == (LineStatus.IGNORED, "Refund from the venue")
    with pytest.raises(ValidationError, match="ignored"):
        act(services.line_confirm, line=line, parts=[(invoice, D("1080"))])
    with pytest.raises(ValidationError, match="Money out"):
        act(services.line_confirm, line=line_of("ref:2026032500002"), parts=[(invoice, D(1))])
    assert state(invoice) == (InvoiceState.OVERDUE, 1080)


def test_services_refuse_another_company_s_rows(act, billing, world_b):
    other = BankAccountFactory(tenant=world_b.tenant)
    with pytest.raises(ValidationError, match="another company"):
        act(services.statement_import, bank_account=other, parsed=camt().as_state())
    assert AccountFactory  # imported for the fixtures' accounts
