"""Property-based checks of the money rules (hypothesis)."""

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.platform.money import line_net, round_money
from invoicing.totals import compute

# (VAT category, code, rate): bands are per category too, so the same code and rate may be two
# bands (a standard line and one reverse-charged by the account's override, say).
RATES = [
    ("S", "STD", Decimal("20")),
    ("S", "RED", Decimal("5")),
    ("E", "EXM", Decimal("0")),
    ("Z", "EXM", Decimal("0")),
    ("AE", "AE", Decimal("0")),
    ("S", "ODD", Decimal("7.75")),
]


@dataclass
class Line:
    net: Decimal
    tax_code: str
    tax_percent: Decimal
    tax_category: str = "S"

    @property
    def key(self):
        return (self.tax_category, self.tax_code, self.tax_percent)


lines_strategy = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2),
        st.decimals(min_value=Decimal("0"), max_value=Decimal("9999.999"), places=3),
        st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2),
        st.sampled_from(RATES),
    ),
    min_size=1,
    max_size=30,
)


def build(rows, currency):
    return [
        Line(
            net=line_net(quantity, price, discount, currency),
            tax_code=code,
            tax_percent=percent,
            tax_category=category,
        )
        for quantity, price, discount, (category, code, percent) in rows
    ]


@settings(max_examples=300, deadline=None)
@given(rows=lines_strategy, currency=st.sampled_from(["EUR", "GBP", "JPY", "KWD"]))
def test_totals_are_sums_of_their_rounded_parts(rows, currency):
    lines = build(rows, currency)
    totals = compute(lines, currency)
    assert totals.net == sum(line.net for line in lines)
    assert totals.tax == sum(band.tax for band in totals.bands)
    assert totals.gross == totals.net + totals.tax
    for line in lines:
        assert line.net == round_money(line.net, currency)
    for band in totals.bands:
        in_band = [
            line.net for line in lines if line.key == (band.category, band.code, band.percent)
        ]
        assert band.net == sum(in_band)
        assert band.tax == round_money(band.net * band.percent / 100, currency)


@settings(max_examples=300, deadline=None)
@given(rows=lines_strategy, currency=st.sampled_from(["EUR", "GBP", "JPY", "KWD"]))
def test_a_full_credit_note_brings_the_balance_back_to_zero(rows, currency):
    invoice = build(rows, currency)
    credit = [
        Line(
            net=-line.net,
            tax_code=line.tax_code,
            tax_percent=line.tax_percent,
            tax_category=line.tax_category,
        )
        for line in invoice
    ]
    issued, credited = compute(invoice, currency), compute(credit, currency)
    assert issued.gross + credited.gross == 0
    assert issued.tax + credited.tax == 0
    assert issued.net + credited.net == 0


@settings(max_examples=300, deadline=None)
@given(rows=lines_strategy, currency=st.sampled_from(["EUR", "GBP", "JPY", "KWD"]))
def test_line_tax_shares_add_up_to_each_rates_tax_exactly(rows, currency):
    from invoicing.totals import allocate_tax

    lines = build(rows, currency)
    totals = compute(lines, currency)
    shares = allocate_tax(lines, totals.bands, currency)
    assert sum(shares, Decimal(0)) == totals.tax
    for band in totals.bands:
        in_band = [share for share, line in zip(shares, lines, strict=True) if line.key == band.key]
        assert sum(in_band, Decimal(0)) == band.tax
    for share in shares:
        assert share == round_money(share, currency)
