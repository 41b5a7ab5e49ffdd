"""A price list's CSV/XLSX: the columns its import reads (agreements.resources), so a file
exported, edited and imported again round-trips."""

from accounts.platform.exporting import QuerysetExporter, money, number, text
from agreements.models import PriceList, PriceListEntry


class PriceListExporter(QuerysetExporter):
    columns = [
        text("product_code", source="product__code"),
        text("product_name", source="product__name"),
        money("unit_price"),
        number("training_units_price"),
    ]
    max_rows = None  # a price list is exported whole

    def __init__(self, price_list: PriceList):
        super().__init__(
            PriceListEntry.objects.filter(price_list=price_list),
            file_name=f"price-list-{price_list.pk}-{price_list.currency}",
        )
