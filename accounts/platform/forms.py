"""Form plumbing every app uses: bounded numbers, tenant-aware ModelForms, the date widget,
crispy helpers.

Every form of the apps derives from `Form` or `ModelForm` here (or `TenantFormMixin`), so that
each of its integer and decimal fields holds only numbers its column can store: a ModelForm's
fields take their bounds from their model fields, a plain form's from the model field it names
with `column_field(Model, "field")`, and any other number must fit an integer column (or, a
decimal, a money column). `tests/hardening/` checks that every form does.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.platform.bounds import bound_form_field


class BoundedFormMixin:
    """Bounds every integer and decimal field of the form to what its column holds."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = getattr(getattr(self, "_meta", None), "model", None)
        for name, field in self.fields.items():
            if isinstance(field, forms.IntegerField):
                bound_form_field(field, getattr(field, "model_field", None) or _field(model, name))
            # A label Django made from a model field's name ("received on" → "Received on") is a
            # plain string, not marked anywhere: it is looked up in the catalogue here, in the
            # request's language (issue 17). Marked labels are lazy and left as they are.
            if type(field.label) is str:
                field.label = gettext(field.label)


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


class Form(BoundedFormMixin, forms.Form):
    pass


class ModelForm(BoundedFormMixin, forms.ModelForm):
    pass


def column_field(model, name: str, **kwargs):
    """The form field of `model.name` (its label, help text and bounds), for a plain form:
    `places = column_field(Registration, "places", min_value=1)`. Keyword arguments override
    the model field's, and may narrow its bounds, never widen them."""
    model_field = model._meta.get_field(name)
    field = model_field.formfield(**kwargs)
    field.model_field = model_field
    return bound_form_field(field, model_field)


def add_service_error(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: a message about one of the form's fields on
    that field, any other (a model field the form does not show, such as a computed net
    amount) at the top of the form, named by its field. (`form.add_error(None, error)` would
    raise ValueError for a field the form does not have.)"""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        if name in form.fields:
            form.add_error(name, errors)
            continue
        label = name.replace("_", " ")
        for message in ValidationError(errors).messages:
            form.add_error(None, message if name == NON_FIELD_ERRORS else f"{label}: {message}")


class TenantFormMixin(BoundedFormMixin):
    """Tenant-owned ModelForms know their tenant before validation, so model rules can check it."""

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        if hasattr(self.instance, "tenant_id"):
            self.instance.tenant = tenant


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def helper(*rows, method: str = "post"):
    """A crispy helper that leaves the <form> tag to the template. A form sent by GET says so
    (`method="get"`): crispy then leaves the CSRF token out, which would otherwise end up in
    the URL (in the history, logs and Referer headers)."""
    form_helper = FormHelper()
    form_helper.form_tag = False
    form_helper.form_method = method
    if rows:
        form_helper.layout = Layout(*rows)
    return form_helper


class DocumentForm(Form):
    file = forms.FileField(help_text=_("PDF, images or office documents."))
    description = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Row(Column("file"), Column("description")))


class ImportForm(Form):
    file = forms.FileField(help_text=_("CSV (UTF-8) or XLSX, first row naming the columns."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
