import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.platform import permissions
from accounts.platform.tables import PermittedLinkColumn, choice_label, hidden_header
from accounts.templatetags.money import amount, money, percent
from agreements.models import (
    Booking,
    BookingStatus,
    DiscountAgreement,
    PrepurchaseAgreement,
    PrepurchaseEntry,
    PriceList,
    PriceListEntry,
    Product,
)

STATUS_BADGES = {
    BookingStatus.DRAFT: "text-bg-secondary",
    BookingStatus.SIGNED: "text-bg-success",
    BookingStatus.EXPIRED: "text-bg-warning",
    BookingStatus.CANCELLED: "text-bg-danger",
    "active": "text-bg-success",
    "closed": "text-bg-secondary",
    "cancelled": "text-bg-danger",
}
RIGHT = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}


def badge(record):
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGES.get(record.status, "text-bg-light"),
        choice_label(record, "status"),
    )


class ProductTable(tables.Table):
    code = PermittedLinkColumn(permission=permissions.MANAGE_CATALOGUE)  # an edit page
    name = tables.Column()
    kind = tables.Column()
    package = tables.Column(order_by="package__name")
    default_price = tables.Column(attrs=RIGHT)
    unit_cost = tables.Column(attrs=RIGHT)
    tax_rate = tables.Column(order_by="tax_rate__code")
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = Product
        fields = [
            "code",
            "name",
            "kind",
            "package",
            "default_price",
            "unit_cost",
            "tax_rate",
            "is_active",
        ]
        empty_text = _("No products match these filters.")

    def render_default_price(self, value, record):
        return money(value, record.currency)

    def render_unit_cost(self, value, record):
        return money(value, record.currency)


class PriceListTable(tables.Table):
    name = tables.Column(linkify=True)
    currency = tables.Column()
    valid_from = tables.DateColumn()
    valid_to = tables.DateColumn(default="open-ended")
    entry_count = tables.Column(verbose_name=_("Products"), attrs=RIGHT)

    class Meta:
        model = PriceList
        fields = ["name", "currency", "valid_from", "valid_to", "entry_count"]
        empty_text = _("No price lists yet.")


class PriceListEntryTable(tables.Table):
    code = tables.Column(accessor="product__code", verbose_name=_("Code"))
    product = tables.Column(accessor="product__name", verbose_name=_("Product"))
    unit_price = tables.Column(attrs=RIGHT)
    default = tables.Column(
        accessor="product__default_price", verbose_name=_("Default price"), attrs=RIGHT
    )
    training_units_price = tables.Column(verbose_name=_("Training units"), attrs=RIGHT)

    class Meta:
        model = PriceListEntry
        fields = ["code", "product", "unit_price", "default", "training_units_price"]
        empty_text = _("No prices yet: add them one by one or import a file.")

    def render_unit_price(self, value, record):
        return money(value, record.price_list.currency)

    def render_default(self, value, record):
        return money(value, record.product.currency)


class BookingTable(tables.Table):
    number = tables.Column(linkify=True, verbose_name=_("No."))
    name = tables.Column(linkify=True)
    account = tables.Column(linkify=True, verbose_name=_("Customer"), order_by="account__name")
    status = tables.Column()
    start_date = tables.DateColumn(verbose_name=_("Start"))
    end_date = tables.DateColumn(verbose_name=_("End"))
    estimated_value = tables.Column(verbose_name=_("Estimated value"), attrs=RIGHT)
    interest_count = tables.Column(verbose_name=_("Agreed products"), attrs=RIGHT)

    class Meta:
        model = Booking
        fields = [
            "number",
            "name",
            "account",
            "status",
            "start_date",
            "end_date",
            "estimated_value",
            "interest_count",
        ]
        empty_text = _("No bookings match these filters.")

    def render_number(self, value):
        return f"B-{value}"

    def render_account(self, value):
        return value.name

    def render_status(self, record):
        return badge(record)

    def render_estimated_value(self, value, record):
        return money(value, record.currency)


class AccountBookingTable(BookingTable):
    class Meta(BookingTable.Meta):
        exclude = ["account"]
        orderable = False


class DiscountTable(tables.Table):
    name = PermittedLinkColumn(permission=permissions.EDIT_AGREEMENTS)  # an edit page
    percent = tables.Column(attrs=RIGHT)
    scope = tables.Column()
    covers = tables.Column(empty_values=(), verbose_name=_("Covers"), orderable=False)
    account = tables.Column(
        verbose_name=_("Customer"), default="Every customer", order_by="account__name"
    )
    valid_from = tables.DateColumn()
    valid_to = tables.DateColumn(default="open-ended")
    max_places = tables.Column(verbose_name=_("Max places"), default="—", attrs=RIGHT)
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = DiscountAgreement
        fields = [
            "name",
            "percent",
            "scope",
            "covers",
            "account",
            "valid_from",
            "valid_to",
            "max_places",
            "is_active",
        ]
        empty_text = _("No discount agreements match these filters.")

    def render_percent(self, value):
        return percent(value)

    def render_covers(self, record):
        target = record.price_list or record.package or record.product
        return str(target) if target else "the event it is attached to"

    def render_account(self, value):
        return value.name


class PrepurchaseTable(tables.Table):
    number = tables.Column(linkify=True, verbose_name=_("No."))
    name = tables.Column(linkify=True)
    account = tables.Column(verbose_name=_("Customer"), order_by="account__name")
    unit = tables.Column()
    end_date = tables.DateColumn(verbose_name=_("Ends"))
    prepurchased = tables.Column(attrs=RIGHT)
    balance = tables.Column(attrs=RIGHT)
    expired = tables.Column(attrs=RIGHT, verbose_name=_("Expired"))
    status = tables.Column()

    class Meta:
        model = PrepurchaseAgreement
        fields = [
            "number",
            "name",
            "account",
            "unit",
            "end_date",
            "prepurchased",
            "balance",
            "expired",
            "status",
        ]
        empty_text = _("No prepurchase agreements match these filters.")

    def render_number(self, value):
        return f"P-{value}"

    def render_account(self, value):
        return value.name

    def render_prepurchased(self, value, record):
        return f"{amount(value, record.price_list.currency)} {record.unit_label}"

    def render_balance(self, value, record):
        return f"{amount(value, record.price_list.currency)} {record.unit_label}"

    def render_expired(self, value, record):
        if not value:
            return "—"  # django-tables2 shows its default for a zero as well
        return format_html(
            '<span class="text-warning-emphasis">{} {}</span>',
            amount(value, record.price_list.currency),
            record.unit_label,
        )

    def render_status(self, record):
        return badge(record)


class LedgerTable(tables.Table):
    entry_date = tables.DateColumn(verbose_name=_("Date"))
    kind = tables.Column()
    amount = tables.Column(attrs=RIGHT)
    delta = tables.Column(verbose_name=_("Balance effect"), attrs=RIGHT)
    allocations = tables.Column(
        verbose_name=_("Charges"), accessor="pk", orderable=False, attrs=RIGHT, empty_values=()
    )
    description = tables.Column()
    reference = tables.Column()
    created_by = tables.Column(verbose_name=_("By"))
    actions = tables.TemplateColumn(
        template_name="agreements/partials/ledger_actions.html",
        verbose_name=hidden_header(_("Actions")),
        orderable=False,
    )

    class Meta:
        model = PrepurchaseEntry
        fields = ["entry_date", "kind", "amount", "delta", "description", "reference", "created_by"]
        sequence = ["entry_date", "kind", "amount", "delta", "allocations", "..."]
        orderable = False
        empty_text = _("No charges or uses yet.")

    def render_kind(self, record):
        text = choice_label(record, "kind")
        if record.reverses_id:
            text += f" of #{record.reverses_id}"
        elif record.charge_id:
            text += f" of charge #{record.charge_id}"
        if record.expires_on:
            text += f", expires {record.expires_on:%d %b %Y}"
        return f"#{record.pk} {text}"

    def render_allocations(self, record):
        """What the row took from (or gave back to) each charge; a use's part beyond them went
        into the overdraft."""
        parts = [
            f"#{row.charge_id}: {'+' if row.delta > 0 else ''}{self._figure(row.delta, record)}"
            for row in record.allocations.all()
        ]
        return "; ".join(parts) or "—"

    def _figure(self, value, record):
        unit = record.agreement.unit_label
        currency = record.agreement.price_list.currency
        return f"{amount(value, currency)} {unit}"

    def render_amount(self, value, record):
        return self._figure(value, record)

    def render_delta(self, value, record):
        return ("+" if value > 0 else "") + self._figure(value, record)

    def render_created_by(self, value):
        return value.get_full_name() or value.email
