"""Reading bank statements (issue 16, part 4): a bank CSV through its column mapping, or an ISO
20022 camt.053 file (versions camt.053.001.02 to .08). Nothing is saved here: the result is a
`ParsedStatement` (its lines as plain values, and an error per bad row) that the import page
previews and `invoicing.services.bank.statement_import` saves.

XML is parsed with defusedxml: a file with a DTD, entities (billion laughs) or external
references is refused before anything is expanded. The same limits as other imports apply
(`accounts.platform.importing`: file size, rows).
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst
from django.utils.translation import gettext

from accounts.platform.importing import MAX_FILE_BYTES, MAX_ROWS, load_table
from accounts.platform.money import round_money

CAMT_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.0([2-8])$")
CAMT_VERSIONS = "camt.053.001.02 to camt.053.001.08"


@dataclass
class ParsedStatement:
    file_format: str  # "csv" or "camt053"
    file_name: str
    statement_id: str = ""
    iban: str = ""
    lines: list[dict] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (row or entry, message)
    skipped: int = 0  # entries not booked (pending, information only)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_state(self) -> dict:
        return {
            "file_format": self.file_format,
            "file_name": self.file_name,
            "statement_id": self.statement_id,
            "iban": self.iban,
            "lines": self.lines,
            "skipped": self.skipped,
        }


def file_kind(name: str) -> str:
    suffix = PurePosixPath(name or "").suffix.lower()
    if suffix in (".csv", ".xlsx"):
        return "csv"
    if suffix in (".xml", ".053", ".camt"):
        return "camt053"
    raise ValidationError(
        gettext("%(name)s: upload the bank's CSV (or .xlsx) export or a camt.053 .xml statement.")
        % {"name": PurePosixPath(name or "").name}
    )


def _line(
    *,
    key: str,
    booking_date: datetime.date,
    amount: Decimal,
    currency: str,
    value_date: datetime.date | None = None,
    reference: str = "",
    end_to_end_id: str = "",
    bank_reference: str = "",
    counterparty_name: str = "",
    counterparty_iban: str = "",
) -> dict:
    """A line as the preview stores it (JSON: dates and amounts as text)."""
    return {
        "key": key[:200],
        "booking_date": booking_date.isoformat(),
        "value_date": value_date.isoformat() if value_date else "",
        "direction": "credit" if amount > 0 else "debit",
        "amount": str(round_money(abs(amount), currency)),
        "currency": currency,
        "reference": " ".join(reference.split())[:500],
        "end_to_end_id": end_to_end_id[:100],
        "bank_reference": bank_reference[:100],
        "counterparty_name": " ".join(counterparty_name.split())[:200],
        "counterparty_iban": compact_iban(counterparty_iban)[:42],
    }


def compact_iban(value: str) -> str:
    return "".join((value or "").split()).upper()


# --- Bank CSV --------------------------------------------------------------------------------


def csv_headers(upload, *, name: str) -> list[str]:
    """The columns of a CSV/XLSX file (as the mapping names them)."""
    return [header for header in load_table(upload, name=name).headers if header]


def parse_amount(text: str, decimal_format: str) -> Decimal:
    """`text` as a Decimal: "1,234.56" / "1.234,56" / "-50" / "(50.00)" / "50.00-"."""
    value = (text or "").strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    value = re.sub(r"[^\d,.\-+()]", "", value)  # currency signs and codes
    negative = (value.startswith("(") and value.endswith(")")) or value.endswith("-")
    value = value.strip("()").rstrip("-")
    if decimal_format == "comma":
        value = value.replace(".", "").replace(",", ".")
    else:
        value = value.replace(",", "")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e11"):
        raise ValueError(text)
    return -amount if negative else amount


def parse_csv(upload, *, name: str, mapping: dict, default_currency: str) -> ParsedStatement:
    """The lines of a bank CSV by `mapping` (column names, `date_format`, `decimal_format`):
    an error per bad row. Money in is positive in a signed amount column."""
    table = load_table(upload, name=name)
    parsed = ParsedStatement(file_format="csv", file_name=name)
    headers = set(table.headers)
    missing = [
        column
        for key, column in mapping.items()
        if key.endswith("_column") and column and column not in headers
    ]
    if missing:
        parsed.errors.append(
            (
                gettext("file"),
                gettext("The file has no column %(columns)s: check the column mapping.")
                % {"columns": ", ".join(missing)},
            )
        )
        return parsed
    fingerprints: Counter = Counter()

    def cell(row, key):
        column = mapping.get(key)
        return str(row[column] or "").strip() if column else ""

    for number, row in enumerate(table.dict, start=2):
        problems = []
        try:
            day = datetime.datetime.strptime(
                cell(row, "date_column"), mapping["date_format"]
            ).date()
        except ValueError:
            day = None
            problems.append(
                gettext("the date “%(value)s” is not in the format %(example)s")
                % {
                    "value": cell(row, "date_column")[:40],
                    "example": datetime.date(2026, 3, 31).strftime(mapping["date_format"]),
                }
            )
        amount = None
        try:
            if mapping.get("amount_column"):
                amount = parse_amount(cell(row, "amount_column"), mapping["decimal_format"])
            else:
                credit, debit = cell(row, "credit_column"), cell(row, "debit_column")
                amount = parse_amount(credit, mapping["decimal_format"]) if credit else Decimal(0)
                if debit:
                    amount -= abs(parse_amount(debit, mapping["decimal_format"]))
        except ValueError as error:
            problems.append(
                gettext("the amount “%(value)s” is not a number") % {"value": str(error)[:40]}
            )
        currency = (cell(row, "currency_column") or default_currency).upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            problems.append(
                gettext("the currency “%(value)s” is not a three-letter code")
                % {"value": currency[:10]}
            )
        if amount is not None and not problems and amount == 0:
            problems.append(gettext("the amount is zero"))
        if problems:
            # capfirst, not capitalize(): that lowercased the rest ("“EURO”", German nouns).
            where = gettext("row %(number)s") % {"number": number}
            parsed.errors.append((where, capfirst("; ".join(problems)) + "."))
            continue
        reference = cell(row, "reference_column")
        name_ = cell(row, "counterparty_name_column")
        iban = cell(row, "counterparty_iban_column")
        transaction_id = cell(row, "transaction_id_column")
        if transaction_id:
            key = f"id:{transaction_id}"
        else:  # no id: the row's content, and which of identical rows of the file it is
            content = "|".join([day.isoformat(), str(amount), currency, reference, name_, iban])
            fingerprints[content] += 1
            digest = hashlib.sha256(content.encode()).hexdigest()[:40]
            key = f"row:{digest}:{fingerprints[content]}"
        parsed.lines.append(
            _line(
                key=key,
                booking_date=day,
                amount=amount,
                currency=currency,
                reference=reference,
                bank_reference=transaction_id,
                counterparty_name=name_,
                counterparty_iban=iban,
            )
        )
    if not parsed.lines and not parsed.errors:
        parsed.errors.append((gettext("file"), gettext("The file holds no statement lines.")))
    return parsed


# --- camt.053 --------------------------------------------------------------------------------


def parse_camt053(upload, *, name: str) -> ParsedStatement:
    """The booked entries of a camt.053 file's statements; an entry with several transaction
    details (TxDtls) that each carry their amount becomes one line per transaction."""
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError(
            gettext("%(name)s is %(size)s; imports may be at most %(limit)s. Split the file.")
            % {
                "name": name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(MAX_FILE_BYTES),
            }
        )
    upload.seek(0)
    data = upload.read()
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True)
    except DefusedXmlException:
        raise ValidationError(
            gettext(
                "%(name)s declares a DTD, entities or external references: a bank statement has "
                "none, so it was refused unread."
            )
            % {"name": name}
        ) from None
    except SafeET.ParseError:
        raise ValidationError(
            gettext("%(name)s is not well-formed XML: download the statement again.")
            % {"name": name}
        ) from None
    match = re.match(r"^\{([^}]*)\}Document$", root.tag)
    if not match or not CAMT_NAMESPACE.match(match.group(1)):
        raise ValidationError(
            gettext(
                "%(name)s is not a camt.053 statement (%(versions)s are read): download the "
                "end-of-day statement (camt.053) from your bank."
            )
            % {"name": name, "versions": CAMT_VERSIONS}
        )
    ns = {"c": match.group(1)}
    parsed = ParsedStatement(file_format="camt053", file_name=name)
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if not statements:
        raise ValidationError(
            gettext("%(name)s holds no statement (BkToCstmrStmt/Stmt).") % {"name": name}
        )
    entries = 0
    for statement in statements:
        statement_id = _text(statement, "c:Id", ns)
        iban = compact_iban(_text(statement, "c:Acct/c:Id/c:IBAN", ns))
        if parsed.iban and iban != parsed.iban:
            raise ValidationError(
                gettext("%(name)s holds statements of several accounts: import one.")
                % {"name": name}
            )
        parsed.iban = iban
        parsed.statement_id = ", ".join(filter(None, [parsed.statement_id, statement_id]))[:100]
        for index, entry in enumerate(statement.findall("c:Ntry", ns), start=1):
            entries += 1
            if entries > MAX_ROWS:
                raise ValidationError(
                    gettext(
                        "%(name)s has more than %(limit)s entries; at most %(limit)s can be "
                        "imported at once."
                    )
                    % {"name": name, "limit": MAX_ROWS}
                )
            where = gettext("entry %(index)s of statement %(statement)s") % {
                "index": index,
                "statement": statement_id or "?",
            }
            status = _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns)
            if status and status != "BOOK":
                parsed.skipped += 1
                continue
            try:
                parsed.lines.extend(_entry_lines(entry, ns, statement_id, index))
            except ValueError as error:
                parsed.errors.append((where, str(error)))
    if not parsed.lines and not parsed.errors:
        parsed.errors.append((gettext("file"), gettext("The statement holds no booked entries.")))
    return parsed


def _text(element, path: str, ns: dict) -> str:
    found = element.find(path, ns) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _amount(element, ns) -> tuple[Decimal, str] | None:
    if element is None:
        return None
    try:
        amount = Decimal((element.text or "").strip())
    except InvalidOperation:
        value = (element.text or "")[:40]
        raise ValueError(
            gettext("The amount “%(value)s” is not a number.") % {"value": value}
        ) from None
    currency = (element.get("Ccy") or "").upper()
    if not amount.is_finite() or amount <= 0 or abs(amount) >= Decimal("1e11"):
        raise ValueError(gettext("The amount must be a positive number."))
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValueError(gettext("The amount has no currency (Ccy)."))
    return amount, currency


def _first(element, paths, ns):
    """The first of `paths` found (an element without children is falsy: compare to None)."""
    for path in paths:
        found = element.find(path, ns)
        if found is not None:
            return found
    return None


def _date(element, path: str, ns) -> datetime.date | None:
    text = _text(element, f"{path}/c:Dt", ns) or _text(element, f"{path}/c:DtTm", ns)[:10]
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(
            gettext("The date “%(value)s” is not a date.") % {"value": text[:20]}
        ) from None


def _party(details, role: str, ns) -> tuple[str, str]:
    """The name and IBAN of the debtor or creditor of a transaction (RltdPties), in the
    shapes of versions .02 (Dbtr/Nm) and .08 (Dbtr/Pty/Nm)."""
    parties = details.find("c:RltdPties", ns) if details is not None else None
    if parties is None:
        return "", ""
    name = _text(parties, f"c:{role}/c:Nm", ns) or _text(parties, f"c:{role}/c:Pty/c:Nm", ns)
    iban = _text(parties, f"c:{role}Acct/c:Id/c:IBAN", ns)
    return name, iban


def _remittance(details, ns) -> str:
    if details is None:
        return ""
    texts = [node.text.strip() for node in details.findall("c:RmtInf/c:Ustrd", ns) if node.text]
    texts += [
        node.text.strip()
        for node in details.findall("c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)
        if node.text
    ]
    return " ".join(texts)


def _entry_lines(entry, ns, statement_id: str, index: int) -> list[dict]:
    found = _amount(entry.find("c:Amt", ns), ns)
    if found is None:
        raise ValueError(gettext("The entry has no amount (Amt)."))
    amount, currency = found
    indicator = _text(entry, "c:CdtDbtInd", ns)
    if indicator not in ("CRDT", "DBIT"):
        raise ValueError(gettext("The entry says neither credit nor debit (CdtDbtInd)."))
    sign = 1 if indicator == "CRDT" else -1
    booked = _date(entry, "c:BookgDt", ns) or _date(entry, "c:ValDt", ns)
    if booked is None:
        raise ValueError(gettext("The entry has no booking date (BookgDt)."))
    value_date = _date(entry, "c:ValDt", ns)
    service_ref = _text(entry, "c:AcctSvcrRef", ns)
    entry_key = (
        f"ref:{service_ref}"
        if service_ref
        else f"stmt:{statement_id}:{_text(entry, 'c:NtryRef', ns) or index}"
    )
    role = "Dbtr" if sign > 0 else "Cdtr"
    details = entry.findall("c:NtryDtls/c:TxDtls", ns)
    amount_paths = ("c:Amt", "c:AmtDtls/c:TxAmt/c:Amt")
    amounts = [_amount(_first(detail, amount_paths, ns), ns) for detail in details]
    split = (
        len(details) > 1
        and all(found is not None and found[1] == currency for found in amounts)
        and sum(found[0] for found in amounts) == amount
    )
    common = {"booking_date": booked, "value_date": value_date, "currency": currency}
    if split:
        lines = []
        pairs = zip(details, amounts, strict=True)
        for number, (detail, (part, _ccy)) in enumerate(pairs, start=1):
            name, iban = _party(detail, role, ns)
            end_to_end = _text(detail, "c:Refs/c:EndToEndId", ns)
            lines.append(
                _line(
                    key=f"{entry_key}/{number}",
                    amount=sign * part,
                    reference=_remittance(detail, ns),
                    end_to_end_id="" if end_to_end == "NOTPROVIDED" else end_to_end,
                    bank_reference=_text(detail, "c:Refs/c:AcctSvcrRef", ns) or service_ref,
                    counterparty_name=name,
                    counterparty_iban=iban,
                    **common,
                )
            )
        return lines
    first = details[0] if details else None
    name, iban = _party(first, role, ns)
    end_to_end = _text(first, "c:Refs/c:EndToEndId", ns) if first is not None else ""
    reference = " ".join(filter(None, (_remittance(detail, ns) for detail in details)))
    reference = reference or _text(entry, "c:AddtlNtryInf", ns)
    return [
        _line(
            key=entry_key,
            amount=sign * amount,
            reference=reference,
            end_to_end_id="" if end_to_end == "NOTPROVIDED" else end_to_end,
            bank_reference=service_ref,
            counterparty_name=name,
            counterparty_iban=iban,
            **common,
        )
    ]
