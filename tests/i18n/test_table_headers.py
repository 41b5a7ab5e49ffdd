"""Column headers django-tables2 makes from model field names follow the request's language
(issue 17): "date" of an item is "Date" in English and "Datum" in German."""

from django.utils import translation

from accounts.platform.tenancy import activate
from projects.models import Item
from projects.tables import ItemTable


def _headers(tenant, language):
    with activate(tenant), translation.override(language):
        table = ItemTable(Item.objects.none(), currency="EUR")
        return {column.name: str(column.header) for column in table.columns}


def test_automatic_headers_are_translated_and_explicit_ones_kept(world_a):
    english, german = _headers(world_a.tenant, "en-gb"), _headers(world_a.tenant, "de")
    assert english["date"] == "Date"
    assert german["date"] == "Datum"


def test_the_header_translation_is_installed_once(world_a):
    from django_tables2.columns.base import BoundColumn

    from accounts.platform.tables import translate_automatic_headers

    before = BoundColumn.verbose_name
    translate_automatic_headers()
    assert BoundColumn.verbose_name is before
