"""The accounts list's CSV/XLSX (`?export=csv|xlsx` on the list page)."""

from accounts.platform.exporting import QuerysetExporter, boolean, number, text


class AccountExporter(QuerysetExporter):
    file_name = "accounts"
    columns = [
        number("number"),
        text("name"),
        text("kind"),
        text("parent", source="parent__name"),
        text("billing_account", source="billing_account__name"),
        text("region", source="region__name"),
        text("sales_currency"),
        text("tax_id"),
        text("address"),
        text("postal_code"),
        text("city"),
        text("country"),
        text("email"),
        text("phone"),
        text("tags"),
        boolean("is_active"),
    ]
