"""Form plumbing every app uses: tenant-aware ModelForms, the date widget, crispy helpers."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms


class TenantFormMixin:
    """Tenant-owned ModelForms know their tenant before validation, so model rules can check it."""

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        if hasattr(self.instance, "tenant_id"):
            self.instance.tenant = tenant


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def helper(*rows):
    form_helper = FormHelper()
    form_helper.form_tag = False
    if rows:
        form_helper.layout = Layout(*rows)
    return form_helper


class DocumentForm(forms.Form):
    file = forms.FileField(help_text="PDF, images or office documents.")
    description = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Row(Column("file"), Column("description")))


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8) or XLSX, first row naming the columns.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
