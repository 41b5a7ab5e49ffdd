"""The mapping page's forms: the company's accounting settings, and one system's codes."""

from django import forms

from accounts.platform.forms import Form, ModelForm
from reporting.accounting.models import AccountingSettings, MappingKind
from reporting.accounting.services import SETTINGS_FIELDS


class AccountingSettingsForm(ModelForm):
    class Meta:
        model = AccountingSettings
        fields = SETTINGS_FIELDS


class AccountCodesForm(Form):
    """One text field per mappable key ("revenue:<product code>", "tax:<tax code>"), filled with
    what is saved; the default shows as the placeholder."""

    def __init__(self, *args, rows: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for kind, entries in rows.items():
            for row in entries:
                name = f"{kind}:{row['key']}"
                self.fields[name] = forms.CharField(
                    label=row["key"],
                    required=False,
                    max_length=60,
                    initial=row["saved"],
                    widget=forms.TextInput(
                        attrs={"placeholder": row["default"] or "", "class": "form-control"}
                    ),
                )
                row["field"] = name

    def field_rows(self, kind):
        return [(row, self[row["field"]]) for row in self.rows[kind]]

    def codes(self) -> dict:
        """(kind, key) -> code of every field (blank: unmapped)."""
        found = {}
        for name, value in self.cleaned_data.items():
            kind, _, key = name.partition(":")
            if kind in MappingKind.values:
                found[(kind, key)] = value
        return found
