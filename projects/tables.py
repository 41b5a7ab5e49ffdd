import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.platform.fast_tables import RowsInOnePass, safe_format, translated, yes_no
from accounts.platform.tables import SelectRowColumn, choice_label, hidden_header, short_date
from accounts.templatetags.money import money, percent
from projects.models import Item, Project, Registration

RIGHT = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}
BADGES = {
    "active": "text-bg-success",
    "no_more_transactions": "text-bg-warning",
    "finished": "text-bg-secondary",
    "requested": "text-bg-light border",
    "confirmed": "text-bg-info",
    "delivered": "text-bg-success",
    "cancelled": "text-bg-danger",
    "no_show": "text-bg-warning",
    "planned": "text-bg-light border",
}


def status_badge(record):
    return safe_format(
        '<span class="badge {}">{}</span>',
        BADGES.get(record.status, ""),
        choice_label(record, "status"),
    )


def price_cell(value, record, currency):
    """A row's unit price with where it came from ("agreed price year 2, +3.5 %") below it, and
    the override's reason where it was overridden."""
    if record.price_overridden:
        return safe_format(
            '{} <i class="bi bi-pencil-square" title="{}"></i>'
            '<br><small class="text-muted">{}</small>',
            money(value, currency),
            gettext("Overridden: %(override_reason)s")
            % {"override_reason": record.override_reason},
            translated("overridden"),
        )
    return safe_format(
        '{}<br><small class="text-muted">{}</small>',
        money(value, currency),
        record.price_source_label,
    )


class ProjectTable(RowsInOnePass, tables.Table):
    """Rows rendered in one pass (`cell_*`; the project list is a hot page)."""

    code = tables.Column(linkify=True, attrs={"td": {"class": "text-nowrap"}})  # not "PR-/1014"
    name = tables.Column(linkify=True)
    account = tables.Column(verbose_name=_("Customer"), order_by="account__name")
    start_date = tables.DateColumn(verbose_name=_("Start"))
    end_date = tables.DateColumn(verbose_name=_("End"))
    status = tables.Column()
    places = tables.Column(verbose_name=_("Places"), attrs=RIGHT)
    ordered_value = tables.Column(verbose_name=_("Ordered"), attrs=RIGHT)

    row_fields = ("code", "name", "account__name", "start_date", "end_date", "status", "currency")

    class Meta:
        model = Project
        fields = [
            "code",
            "name",
            "account",
            "start_date",
            "end_date",
            "status",
            "places",
            "ordered_value",
        ]
        empty_text = _("No projects match these filters.")

    def render_account(self, value):
        return value.name

    def render_status(self, record):
        return status_badge(record)

    def render_ordered_value(self, value, record):
        return money(value, record.currency)

    def cell_code(self, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record.code)

    def cell_name(self, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record.name)

    def cell_account(self, record):
        return record.account.name

    def cell_start_date(self, record):
        return short_date(record.start_date)

    def cell_end_date(self, record):
        return short_date(record.end_date)

    def cell_status(self, record):
        return status_badge(record)

    def cell_places(self, record):
        return "—" if record.places is None else str(record.places)

    def cell_ordered_value(self, record):
        return money(record.ordered_value, record.currency)


class AccountProjectTable(ProjectTable):
    class Meta(ProjectTable.Meta):
        exclude = ["account"]
        orderable = False


class RegistrationTable(RowsInOnePass, tables.Table):
    """Rows rendered in one pass (`cell_*`; the registrations tab of a large project)."""

    selected = SelectRowColumn(name="selected", form="bulk-form", label=str)
    learner = tables.Column(order_by=("learner__last_name",), default=_("(no name yet)"))
    event = tables.Column(order_by=("event__start_date",))
    places = tables.Column(attrs=RIGHT)
    status = tables.Column()
    unit_price = tables.Column(attrs=RIGHT)
    discount_percent = tables.Column(verbose_name=_("Discount"), attrs=RIGHT)
    net_amount = tables.Column(verbose_name=_("Net"), attrs=RIGHT)
    purchase_order = tables.Column(verbose_name=_("PO"), empty_values=(), orderable=False)
    invoiced = tables.BooleanColumn()
    edit = tables.TemplateColumn(
        template_name="projects/partials/registration_edit_link.html",
        verbose_name=hidden_header(_("Edit")),
        orderable=False,
    )

    row_fields = (
        *("learner__first_name", "learner__last_name", "event__title", "event__start_date"),
        *("places", "status", "unit_price", "net_amount", "discount_percent", "invoiced"),
        *("price_source", "price_year", "price_uplift_percent", "price_overridden"),
        *("override_reason", "purchase_order", "po_reference"),
    )
    fetched_when_set = ("purchase_order",)

    class Meta:
        model = Registration
        fields = [
            "selected",
            "learner",
            "event",
            "places",
            "status",
            "unit_price",
            "discount_percent",
            "net_amount",
            "purchase_order",
            "invoiced",
        ]
        empty_text = _("No registrations match these filters.")
        attrs = {"class": "table table-hover align-middle mb-0", "aria-label": _("Registrations")}

    def __init__(self, *args, currency, edit_url=None, **kwargs):
        """`edit_url` is the edit address with 0 for the id: one reverse() per table, not per
        row (a template per row doubled the tab's time at 25 rows)."""
        self.currency = currency
        self.edit_url = edit_url
        super().__init__(*args, **kwargs)
        if edit_url is None:
            self.columns.hide("edit")

    def render_edit(self, record):
        return safe_format(
            '<a class="btn btn-sm btn-outline-secondary" href="{}" '
            'aria-label="{}"><i class="bi bi-pencil"></i></a>',
            self.edit_url.replace("/0/edit/", f"/{record.pk}/edit/"),
            translated("Edit registration {}").format(record.pk),
        )

    def render_learner(self, value):
        return value.full_name

    def render_event(self, value):
        return safe_format(
            "{}<br><small class='text-muted'>{}</small>",
            value.title,
            value.start_date.strftime("%d %b %Y"),
        )

    def render_status(self, record):
        return status_badge(record)

    def render_unit_price(self, value, record):
        return price_cell(value, record, self.currency)

    def render_discount_percent(self, value):
        return percent(value) if value else "—"

    def render_net_amount(self, value):
        return money(value, self.currency)

    def render_purchase_order(self, record):
        return (
            record.purchase_order.number if record.purchase_order else (record.po_reference or "—")
        )

    def cell_selected(self, record):
        return self.base_columns["selected"].checkbox(record)

    def cell_learner(self, record):
        return record.learner.full_name if record.learner_id else translated("(no name yet)")

    def cell_event(self, record):
        return self.render_event(record.event)

    def cell_places(self, record):
        return str(record.places)

    def cell_status(self, record):
        return status_badge(record)

    def cell_unit_price(self, record):
        return self.render_unit_price(record.unit_price, record)

    def cell_discount_percent(self, record):
        return self.render_discount_percent(record.discount_percent)

    def cell_net_amount(self, record):
        return money(record.net_amount, self.currency)

    def cell_purchase_order(self, record):
        return self.render_purchase_order(record)

    def cell_invoiced(self, record):
        return yes_no(record.invoiced)

    def cell_edit(self, record):
        return self.render_edit(record)


class ItemTable(tables.Table):
    selected_items = SelectRowColumn(
        name="selected_items", form="items-form", label=str, select_all="Select all items"
    )
    date = tables.DateColumn()
    product = tables.Column(order_by=("product__code",))
    description = tables.Column()
    quantity = tables.Column(attrs=RIGHT)
    unit_price = tables.Column(attrs=RIGHT)
    net_amount = tables.Column(verbose_name=_("Net"), attrs=RIGHT)
    purchase_order = tables.Column(verbose_name=_("PO"), empty_values=(), orderable=False)
    billable = tables.BooleanColumn()
    invoiced = tables.BooleanColumn()

    class Meta:
        model = Item
        fields = [
            "date",
            "product",
            "description",
            "quantity",
            "unit_price",
            "net_amount",
            "purchase_order",
            "billable",
            "invoiced",
        ]
        empty_text = _("No items match these filters.")
        attrs = {"class": "table table-hover align-middle mb-0", "aria-label": _("Items")}

    def __init__(self, *args, currency, **kwargs):
        self.currency = currency
        super().__init__(*args, **kwargs)

    def render_product(self, value):
        return value.code

    def render_quantity(self, value):
        return f"{value.normalize():f}"

    def render_unit_price(self, value, record):
        return price_cell(value, record, self.currency)

    def render_net_amount(self, value):
        return money(value, self.currency)

    def render_purchase_order(self, record):
        return (
            record.purchase_order.number if record.purchase_order else (record.po_reference or "—")
        )
