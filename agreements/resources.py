"""django-import-export resources of agreements: price-list entries (import and export)."""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from accounts.platform.bounds import clean_number
from accounts.platform.importing import CellError, RequiredColumnsMixin, neutralise, shown
from accounts.platform.money import round_money
from agreements.models import PriceList, PriceListEntry, Product


class ProductCodeWidget(widgets.ForeignKeyWidget):
    """Looks products up by code in the active tenant only."""

    def __init__(self, tenant):
        super().__init__(Product, field="code")
        self.tenant = tenant

    def get_queryset(self, value, row, *args, **kwargs):
        return Product.objects.filter(tenant=self.tenant)

    def clean(self, value, row=None, **kwargs):
        code = str(value or "").strip().upper()
        if not code:
            raise CellError("the product code is missing.")
        try:
            return self.get_queryset(value, row).get(code=code)
        except Product.DoesNotExist:
            raise CellError(f"unknown product code “{shown(code)}”.") from None

    def render(self, value, obj=None, **kwargs):
        return neutralise(value.code) if value else ""


class PriceWidget(widgets.Widget):
    """A price cell: a number that its column holds (bounds from the model field), rounded to
    the column's decimals (the service rounds it to the currency's minor unit)."""

    def __init__(self, model_field_name: str, required=True):
        super().__init__(coerce_to_string=False)
        self.model_field = PriceListEntry._meta.get_field(model_field_name)
        self.required = required

    def clean(self, value, row=None, **kwargs):
        price = clean_number(value, self.model_field, what="a price", round_decimals=True)
        if price is None and self.required:
            raise CellError("the price is missing.")
        return price

    def render(self, value, obj=None, **kwargs):
        # A number stays a number: a numeric cell in XLSX, plain digits in CSV.
        return "" if value is None else value


class PriceListEntryResource(RequiredColumnsMixin, resources.ModelResource):
    """Columns: product_code, unit_price, training_units_price (ids and tenants are ignored)."""

    required_columns = ("product_code", "unit_price")
    optional_columns = ("training_units_price",)

    def __init__(self, *, tenant, price_list: PriceList):
        self.tenant = tenant
        self.price_list = price_list
        self._seen_codes: dict[str, int] = {}
        # Prices the import changes, old and new, for its preview (issue 17).
        self.changes: list[tuple[str, str, str, str]] = []
        super().__init__()
        self.fields["product"] = fields.Field(
            attribute="product", column_name="product_code", widget=ProductCodeWidget(tenant)
        )

    product_name = fields.Field(
        attribute="product__name", column_name="product_name", readonly=True
    )
    unit_price = fields.Field(
        attribute="unit_price", column_name="unit_price", widget=PriceWidget("unit_price")
    )
    training_units_price = fields.Field(
        attribute="training_units_price",
        column_name="training_units_price",
        widget=PriceWidget("training_units_price", required=False),
    )

    class Meta:
        model = PriceListEntry
        fields = ("product", "product_name", "unit_price", "training_units_price")
        export_order = ("product", "product_name", "unit_price", "training_units_price")
        import_id_fields = ("product",)
        skip_unchanged = False
        use_bulk = False

    def get_queryset(self):
        return PriceListEntry.objects.filter(tenant=self.tenant, price_list=self.price_list)

    def get_import_id_fields(self):
        return ["product"]

    def before_import_row(self, row, **kwargs):
        code = str(row.get("product_code") or "").strip().upper()
        line = kwargs.get("row_number", 0) + 1
        if code and code in self._seen_codes:
            raise ValidationError(
                f"product {code} appears twice (also on line "
                f"{self._seen_codes[code]}); keep one row per product."
            )
        if code:
            self._seen_codes[code] = line

    def after_init_instance(self, instance, new, row, **kwargs):
        if not new:  # an entry of the list: its prices before the row sets them
            instance._stored_prices = (instance.unit_price, instance.training_units_price)

    def before_save_instance(self, instance, row, **kwargs):
        instance.tenant = self.tenant
        instance.price_list = self.price_list
        instance.unit_price = round_money(instance.unit_price, self.price_list.currency)
        stored = getattr(instance, "_stored_prices", None)
        if stored is not None:
            self._note_changes(instance, *stored)

    def _note_changes(self, instance, unit_price, units_price) -> None:
        from accounts.templatetags.money import amount, money

        currency = self.price_list.currency
        for label, old, new, show in (
            ("unit price", unit_price, instance.unit_price, lambda v: money(v, currency)),
            (
                "training units price",
                units_price,
                instance.training_units_price,
                lambda v: f"{amount(v, currency)} units" if v is not None else "—",
            ),
        ):
            if old != new:
                self.changes.append((instance.product.code, label, show(old), show(new)))

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.tenant = self.tenant
        instance.price_list = self.price_list
