"""Forms of phases, milestones and copying a project's plan (issue 13, parts 1 and 4)."""

from crispy_forms.layout import Column, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.platform.forms import DATE, Form, TenantFormMixin, helper
from agreements.models import Product, ProductKind
from projects.models import Milestone, Phase, Project


class PhaseForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = Phase
        fields = ["name", "start_date", "end_date", "budget", "billing_moment"]
        widgets = {"start_date": DATE, "end_date": DATE}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["budget"].help_text = _(
            "What the phase is planned to bill, in %(currency)s. Milestones may be a percentage "
            "of it."
        ) % {"currency": project.currency}
        self.helper = helper(
            Row(Column("name", css_class="col-md-6"), Column("start_date"), Column("end_date")),
            Row(Column("budget", css_class="col-md-4"), Column("billing_moment")),
        )


class MilestoneForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["name", "amount", "percent", "due", "due_date", "product"]
        widgets = {"due_date": DATE}

    def __init__(self, *args, phase, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.phase = phase
        self.fields["product"].queryset = (
            Product.objects.exclude(kind=ProductKind.LEARNING_PATH)
            .filter(is_active=True)
            .order_by("code")
        )
        self.fields["amount"].help_text = _("In %(currency)s; or give a percentage.") % {
            "currency": phase.project.currency
        }
        self.helper = helper(
            Row(Column("name", css_class="col-md-6"), Column("product")),
            Row(Column("amount"), Column("percent")),
            Row(Column("due"), Column("due_date")),
        )


class CopyLinesForm(Form):
    """Copy another project's plan: the project is named by its code (a search, never a list
    of every project)."""

    source = forms.CharField(
        label=_("Project to copy from"),
        max_length=20,
        help_text=_("Its code, e.g. PR-1001 (templates included)."),
    )
    start_date = forms.DateField(
        label=_("Its first day moves to"),
        widget=DATE,
        required=False,
        help_text=_("Leave empty for this project's start date."),
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.helper = helper(Row(Column("source"), Column("start_date")))

    def clean_source(self):
        code = self.cleaned_data["source"].strip().upper()
        source = Project.objects.filter(code=code).first()
        if source is None:
            raise forms.ValidationError(_("No project has the code %(code)s.") % {"code": code})
        return source
