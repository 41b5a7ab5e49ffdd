from import_export import fields

from accounts.models import Account
from accounts.platform.exporting import SafeResource


class AccountResource(SafeResource):
    parent = fields.Field(attribute="parent__name", column_name="parent")
    billing_account = fields.Field(attribute="billing_account__name", column_name="billing_account")
    region = fields.Field(attribute="region__name", column_name="region")

    class Meta:
        model = Account
        fields = (
            "number",
            "name",
            "kind",
            "parent",
            "billing_account",
            "region",
            "sales_currency",
            "tax_id",
            "address",
            "postal_code",
            "city",
            "country",
            "email",
            "phone",
            "tags",
            "is_active",
        )
        export_order = fields
