"""Importing a customer's list of registrations (CSV/XLSX) with django-import-export.

Columns: event (title or number of one of the project's events), learner_email, first_name,
last_name (a learner not yet among the customer's contacts is added), places (for a block
without names), requested_date (YYYY-MM-DD or DD/MM/YYYY), po_reference, notes. Every row goes
through `registrations_add`, so prices, capacity and budgets follow the same rules as the page.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from import_export import fields, resources, widgets

from accounts.platform.bounds import clean_number, parse_id
from accounts.platform.importing import CellError, ImportReport, RequiredColumnsMixin, shown
from projects import services
from projects.models import PrivateEvent, Registration
from projects.services.learners import NewLearner, learners_find_or_add

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S")


class EventWidget(widgets.Widget):
    def __init__(self, project):
        super().__init__()
        self.project = project

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            raise CellError("the event is missing: give its title or number.")
        events = PrivateEvent.objects.filter(project=self.project)
        match = events.filter(Q(title__iexact=text) | Q(pk=parse_id(text) or 0))
        found = list(match[:2])
        if len(found) != 1:
            reason = "several events are" if found else "no event is"
            raise CellError(f"{reason} called “{shown(text)}” in this project.")
        return found[0]


class LooseDateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        for pattern in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise CellError(f"“{shown(text)}” is not a date: use YYYY-MM-DD.")


class PlacesWidget(widgets.Widget):
    """A number of places: a whole number from 1 to what the column holds (1 when empty)."""

    def clean(self, value, row=None, **kwargs):
        places = clean_number(
            value, Registration._meta.get_field("places"), what="the number of places"
        )
        return 1 if places is None else places


class RegistrationResource(RequiredColumnsMixin, resources.ModelResource):
    required_columns = ("event",)
    optional_columns = (
        "learner_email",
        "first_name",
        "last_name",
        "places",
        "requested_date",
        "po_reference",
        "notes",
    )

    def __init__(self, *, tenant, user, project):
        self.tenant, self.user, self.project = tenant, user, project
        self.warnings: list[tuple[int, str]] = []
        self.confirm = False
        super().__init__()
        self.fields["event"] = fields.Field(
            attribute="event", column_name="event", widget=EventWidget(project)
        )

    places = fields.Field(attribute="places", column_name="places", widget=PlacesWidget())
    requested_date = fields.Field(
        attribute="requested_date", column_name="requested_date", widget=LooseDateWidget()
    )
    po_reference = fields.Field(attribute="po_reference", column_name="po_reference")
    notes = fields.Field(attribute="notes", column_name="notes")

    class Meta:
        model = Registration
        fields = ("event", "places", "requested_date", "po_reference", "notes")
        import_id_fields = ()
        skip_diff = True
        clean_model_instances = False

    def get_instance(self, instance_loader, row):
        return None  # every row is a new registration

    def init_instance(self, row=None):
        return Registration(tenant=self.tenant, project=self.project)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.po_reference = instance.po_reference or ""
        instance.notes = instance.notes or ""
        too_long = {}
        for name in ("po_reference", "notes"):
            limit = Registration._meta.get_field(name).max_length
            if len(getattr(instance, name)) > limit:
                too_long[name] = f"the {name} is longer than {limit} characters: shorten it."
        if too_long:
            raise ValidationError(too_long)
        instance.learner = self._learner(row)

    def _learner(self, row):
        """The row's learner: found or added by the registration form's rule
        (`projects.services.learners`), inside the import's transaction."""
        email = str(row.get("learner_email") or "").strip().lower()
        first = str(row.get("first_name") or "").strip()
        last = str(row.get("last_name") or "").strip()
        if not (email or first or last):
            return None
        if not email and not (first and last):
            raise ValidationError(
                {"learner": "give first_name and last_name, or the learner_email of a contact."}
            )
        try:
            (contact,) = learners_find_or_add(
                tenant=self.tenant,
                by=self.user,
                project=self.project,
                learners=[NewLearner(first_name=first, last_name=last, email=email, line=0)],
            )
        except ValidationError as error:
            message = error.messages[0].removeprefix("Line 0: ")
            message = message.replace(
                "give the learner's first and last name", "give first_name and last_name"
            )
            raise ValidationError({"learner": message}) from None
        return contact

    def save_instance(self, instance, is_create, row, **kwargs):
        arguments = {
            "tenant": self.tenant,
            "by": self.user,
            "project": self.project,
            "event": instance.event,
            "learners": [instance.learner],
            "places": instance.places or 1,
            "requested_date": instance.requested_date,
            "po_reference": instance.po_reference,
            "notes": instance.notes,
        }
        try:
            created = services.registrations_add(**arguments, confirm=False)
        except services.NeedsConfirmation as needed:
            line = kwargs.get("row_number", 0) + 1
            self.warnings.extend((line, warning) for warning in needed.warnings)
            if not self.confirm:
                raise ValidationError(
                    ["Needs confirmation: " + " ".join(needed.warnings)]
                ) from None
            created = services.registrations_add(**arguments, confirm=True)
        instance.pk = created[0].pk


def registrations_import(*, tenant, by, project, dataset, dry_run: bool, confirm: bool):
    """Import registrations: nothing is saved unless every row is valid (and, where a row needs
    confirmation, `confirm` is set)."""
    from django.db import transaction

    resource = RegistrationResource(tenant=tenant, user=by, project=project)
    resource.confirm = confirm
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
        )
        if result.has_errors() or result.has_validation_errors():
            transaction.set_rollback(True)
    report = ImportReport(result)
    report.warnings = sorted(set(resource.warnings))
    return report
