from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.filters import search_remotely
from accounts.models import Account
from accounts.platform.forms import Form
from projects.models import ProjectClass, ProjectStatus
from reporting.custom import DIMENSIONS, MEASURES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CustomReportForm(Form):
    dimensions = forms.MultipleChoiceField(
        choices=DIMENSIONS.items(),
        initial=["product"],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Rows per combination of these."),
    )
    measures = forms.MultipleChoiceField(
        choices=MEASURES.items(),
        initial=["places", "invoiced"],
        widget=forms.CheckboxSelectMultiple,
    )
    date_from = forms.DateField(required=False, widget=DATE, label=_("From"))
    date_to = forms.DateField(required=False, widget=DATE, label=_("To"))
    status = forms.ChoiceField(
        required=False, label=_("Project status"), choices=[("", _("Any")), *ProjectStatus.choices]
    )
    account = forms.ModelChoiceField(
        queryset=Account.objects.none(), required=False, label=_("Customer")
    )
    tag = forms.CharField(required=False, max_length=50)
    project_class = forms.ModelChoiceField(
        queryset=ProjectClass.objects.none(), required=False, label=_("Project class")
    )
    include_finished = forms.BooleanField(
        required=False,
        label=_("Include finished projects"),
        help_text=_("Finished projects are left out unless this is ticked."),
    )
    chart = forms.ChoiceField(
        choices=[("bar", "Bar chart"), ("line", "Line chart")], initial="bar", required=False
    )

    def clean_chart(self):
        return self.cleaned_data.get("chart") or "bar"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.order_by("name")
        self.fields["project_class"].queryset = ProjectClass.objects.order_by("name")
        search_remotely(self.fields["account"], "accounts:account-options")

    def definition_data(self) -> dict:
        data = self.cleaned_data
        return {
            "dimensions": data["dimensions"],
            "measures": data["measures"],
            "date_from": data["date_from"].isoformat() if data["date_from"] else "",
            "date_to": data["date_to"].isoformat() if data["date_to"] else "",
            "status": data["status"],
            "account_id": data["account"].pk if data["account"] else None,
            "tag": data["tag"],
            "project_class": data["project_class"].pk if data.get("project_class") else None,
            "include_finished": data.get("include_finished", False),
        }


class SaveReportForm(Form):
    name = forms.CharField(max_length=150)
