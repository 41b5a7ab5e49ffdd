"""The projects list's and a project's registrations' CSV/XLSX (`?export=csv|xlsx`)."""

from accounts.platform.exporting import QuerysetExporter, boolean, date, money, number, text
from agreements.pricing import price_source_label


def _full_name(first_name, last_name):
    """A learner's name as `Contact.full_name` says it (no learner: nothing)."""
    if first_name is None and last_name is None:
        return None
    return f"{first_name} {last_name}".strip()


class ProjectExporter(QuerysetExporter):
    file_name = "projects"
    columns = [
        text("code"),
        text("name"),
        text("customer", source="account__name"),
        text("booking", source="booking__name"),
        date("start_date"),
        date("end_date"),
        text("status"),
        text("project_type"),
        text("currency"),
        text("budget_policy"),
        number("handling_fee_percent"),
        money("max_billing_amount"),
        text("tags"),
    ]


class RegistrationExporter(QuerysetExporter):
    file_name = "registrations"
    columns = [
        text("event", source="event__title"),
        date("event_date", source="event__start_date"),
        text(
            "learner",
            source=("learner__first_name", "learner__last_name"),
            convert=_full_name,
        ),
        text("learner_email", source="learner__email"),
        number("places"),
        text("status"),
        money("unit_price"),
        # Where the price came from, as the page says it ("agreed price year 2, +3.5 %").
        text(
            "price_source",
            source=("price_source", "price_year", "price_uplift_percent"),
            convert=price_source_label,
        ),
        number("discount_percent"),
        money("net_amount"),
        text("purchase_order", source="purchase_order__number"),
        text("po_reference"),
        boolean("invoiced"),
    ]
