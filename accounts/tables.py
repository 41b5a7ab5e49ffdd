import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Contact
from accounts.platform.fast_tables import RowsInOnePass, yes_no
from accounts.platform.models import Membership, Role
from accounts.platform.tables import choice_label, hidden_header


class AccountTable(RowsInOnePass, tables.Table):
    """Rows rendered in one pass (`cell_*`; the account list is a hot page)."""

    number = tables.Column(linkify=True, verbose_name=_("No."))
    name = tables.Column(linkify=True)
    kind = tables.Column()
    region = tables.Column(order_by=("region__name",))
    parent = tables.Column(verbose_name=_("Parent"), order_by=("parent__name",))
    city = tables.Column()
    contact_count = tables.Column(verbose_name=_("Contacts"), attrs={"td": {"class": "text-end"}})
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    row_fields = ("number", "name", "kind", "region__name", "parent__name", "city", "is_active")

    class Meta:
        model = Account
        fields = [
            "number",
            "name",
            "kind",
            "region",
            "parent",
            "city",
            "contact_count",
            "is_active",
        ]
        order_by = "name"
        empty_text = _("No accounts match these filters.")

    def render_parent(self, value):
        return value.name

    def render_kind(self, record):
        css = "text-bg-primary" if record.is_organisation else "text-bg-secondary"
        return format_html('<span class="badge {}">{}</span>', css, choice_label(record, "kind"))

    def cell_number(self, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record.number)

    def cell_name(self, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record.name)

    def cell_kind(self, record):
        return self.render_kind(record)

    def cell_region(self, record):
        return record.region.name if record.region_id else "—"

    def cell_parent(self, record):
        return record.parent.name if record.parent_id else "—"

    def cell_city(self, record):
        return record.city or "—"

    def cell_contact_count(self, record):
        return str(record.contact_count)

    def cell_is_active(self, record):
        return yes_no(record.is_active)


class ContactTable(tables.Table):
    full_name = tables.Column(verbose_name=_("Name"), order_by=("last_name", "first_name"))
    job_title = tables.Column()
    email = tables.EmailColumn()
    phone = tables.Column()
    is_primary = tables.BooleanColumn(verbose_name=_("Primary"))
    actions = tables.TemplateColumn(
        template_name="accounts/partials/contact_actions.html",
        verbose_name=hidden_header(_("Actions")),
        orderable=False,
    )

    class Meta:
        model = Contact
        fields = ["full_name", "job_title", "email", "phone", "is_primary"]
        empty_text = _("No contacts yet.")


class MemberTable(tables.Table):
    name = tables.Column(
        accessor="user__get_full_name", verbose_name=_("Name"), order_by=("user__last_name",)
    )
    email = tables.Column(accessor="user__email", verbose_name=_("E-mail"))
    role = tables.Column()
    last_login = tables.DateTimeColumn(accessor="user__last_login", verbose_name=_("Last login"))
    actions = tables.TemplateColumn(
        template_name="accounts/partials/member_actions.html",
        verbose_name=hidden_header(_("Actions")),
        orderable=False,
        extra_context={"roles": Role.choices},
    )

    class Meta:
        model = Membership
        fields = ["name", "email", "role", "last_login"]
