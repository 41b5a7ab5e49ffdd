"""Aged receivables (issue 16, part 2): what billing accounts owe, per currency, bucketed by how
long it is past due on a day: current (not due yet, or due that day), 1-30, 31-60, 61-90 and
over 90 days.

What is outstanding is `invoicing.payment_selectors.open_invoices(as_of=...)` (allocations made
by that day, payments not reversed by then): the buckets are sums of it, in ONE grouped query
(per account and currency, with the base-currency figure at each invoice's stored rate).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, CharField, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from accounts.platform.exporting import Exporter, date, money, number, text
from accounts.platform.money import round_money
from invoicing.payment_selectors import open_invoices
from reporting.charts import figure

# (key, label, the due dates it holds as days before the day: (at least, at most))
BUCKETS = (
    ("current", "Current", (None, 0)),
    ("d30", "1–30 days", (1, 30)),
    ("d60", "31–60 days", (31, 60)),
    ("d90", "61–90 days", (61, 90)),
    ("older", "Over 90 days", (91, None)),
)
KEYS = [key for key, _label, _days in BUCKETS]
MONEY = DecimalField(max_digits=24, decimal_places=8)


def _bucket_q(as_of: datetime.date, low, high) -> Q:
    """Invoices `low`..`high` days past due on `as_of` (an invoice without a due date is
    current)."""
    q = Q()
    if low is not None:
        q &= Q(due_date__lte=as_of - datetime.timedelta(days=low))
    if high is not None:
        q &= Q(due_date__gte=as_of - datetime.timedelta(days=high))
        if low is None:
            q |= Q(due_date__isnull=True)
    return q


@dataclass
class AgedRow:
    account_id: int
    account_name: str
    account_number: int | None
    currency: str
    buckets: dict[str, Decimal] = field(default_factory=dict)
    base: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), Decimal(0))

    @property
    def base_total(self) -> Decimal:
        return sum(self.base.values(), Decimal(0))

    @property
    def values(self) -> list[Decimal]:
        return [self.buckets[key] for key, _label, _days in BUCKETS]


@dataclass
class AgedReport:
    as_of: datetime.date
    base_currency: str
    rows: list[AgedRow]
    totals: list[AgedRow]  # one per currency
    base: AgedRow  # every currency in the base currency, at the invoices' stored rates


def aged_receivables(*, as_of: datetime.date, base_currency: str) -> AgedReport:
    """The report on `as_of`: rows per billing account and currency (largest total first),
    totals per currency and in the base currency."""
    rate = Coalesce(F("exchange_rate"), Value(Decimal(1)), output_field=MONEY)
    # Grouped by bucket too, with two sums: each sum of `outstanding` evaluates its subquery
    # per invoice, so ten filtered sums (five buckets, two currencies) took ten times as long.
    bucket = Case(
        *[
            When(_bucket_q(as_of, low, high), then=Value(key))
            for key, _label, (low, high) in BUCKETS
        ],
        output_field=CharField(),
    )
    groups = (
        open_invoices(as_of=as_of)
        .order_by()
        .annotate(bucket=bucket)
        .values(
            "billing_account_id",
            "billing_account__name",
            "billing_account__number",
            "currency",
            "bucket",
        )
        .annotate(
            amount=Sum("outstanding"), in_base=Sum(F("outstanding") * rate, output_field=MONEY)
        )
    )
    by_account: dict[tuple, AgedRow] = {}
    totals = {}
    zero = round_money(Decimal(0), base_currency)
    base = AgedRow(0, "All currencies", None, base_currency, dict.fromkeys(KEYS, zero))
    for group in groups:
        currency, key = group["currency"], group["bucket"]
        row = by_account.get((group["billing_account_id"], currency))
        nothing = round_money(Decimal(0), currency)
        if row is None:
            row = by_account[(group["billing_account_id"], currency)] = AgedRow(
                group["billing_account_id"],
                group["billing_account__name"],
                group["billing_account__number"],
                currency,
                dict.fromkeys(KEYS, nothing),
                dict.fromkeys(KEYS, zero),
            )
        total = totals.setdefault(
            currency,
            AgedRow(
                0, "Total", None, currency, dict.fromkeys(KEYS, nothing), dict.fromkeys(KEYS, zero)
            ),
        )
        amount = round_money(Decimal(group["amount"] or 0), currency)
        in_base = round_money(Decimal(group["in_base"] or 0), base_currency)
        row.buckets[key], row.base[key] = amount, in_base
        total.buckets[key] += amount
        total.base[key] += in_base
        base.buckets[key] += in_base
    rows = list(by_account.values())
    rows.sort(key=lambda row: (-row.base_total, row.account_name, row.currency))
    return AgedReport(as_of, base_currency, rows, [totals[c] for c in sorted(totals)], base)


# Fills told apart by lightness and by a pattern-free order (left to right, oldest last), each
# with its label in the legend, so the chart reads without colour.
FILLS = ("#9fb7e8", "#6f93dc", "#2f5fd0", "#1d3f8f", "#0d1f4a")


def stacked_chart(report: AgedReport, limit: int = 15) -> dict:
    """Geometry of a server-rendered stacked bar chart: one bar per billing account (the largest
    first, in the base currency at stored rates), one segment per bucket. Same layout as the
    custom report's bar chart (`reporting.custom.chart`): labels left of x=300, bars 460 wide."""

    by_account: dict[int, tuple[str, dict]] = {}
    for row in report.rows:
        name, values = by_account.setdefault(row.account_id, (row.account_name, {}))
        for key, value in row.base.items():
            values[key] = values.get(key, Decimal(0)) + value
    accounts = sorted(by_account.values(), key=lambda item: -sum(item[1].values()))[:limit]
    top = max((float(sum(values.values())) for _name, values in accounts), default=0.0) or 1.0
    bars = []
    for index, (name, values) in enumerate(accounts):
        x, segments = 300.0, []
        for position, (key, label, _days) in enumerate(BUCKETS):
            width = float(values.get(key, 0)) / top * 460
            if width > 0:
                segments.append(
                    {
                        "x": round(x, 1),
                        "width": round(max(width, 1), 1),
                        "fill": FILLS[position],
                        "title": f"{label}: {figure(values[key])}",
                    }
                )
                x += width
        bars.append(
            {
                "label": name[:40],
                "y": 30 + index * 26,
                "segments": segments,
                "value": figure(sum(values.values())),
                "text_x": round(x + 6, 1),
            }
        )
    legend = [
        {"x": 300 + position * 120, "fill": FILLS[position], "label": label}
        for position, (_key, label, _days) in enumerate(BUCKETS)
    ]
    return {
        "kind": "stacked",
        "bars": bars,
        "legend": legend,
        "height": 40 + len(bars) * 26,
        "currency": report.base_currency,
    }


class AgedReceivablesExporter(Exporter):
    columns = [
        date("as_of"),
        number("account_number"),
        text("account"),
        text("currency"),
        *[money(key, label) for key, label, _days in BUCKETS],
        money("total"),
        text("base_currency"),
        money("total_in_base_currency"),
    ]
    sheet_title = "Aged receivables"

    def __init__(self, report: AgedReport, *, file_name: str = "aged-receivables"):
        self.report = report
        self.file_name = file_name

    def rows(self):
        report = self.report
        for row in [*report.rows, *report.totals]:
            yield [
                report.as_of,
                row.account_number,
                row.account_name,
                row.currency,
                *row.values,
                row.total,
                report.base_currency,
                row.base_total,
            ]
        base = report.base
        yield [
            report.as_of,
            None,
            "Total in base currency",
            report.base_currency,
            *base.values,
            base.total,
            report.base_currency,
            base.total,
        ]
