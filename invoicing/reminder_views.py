"""Pages of payment reminders (issue 16, part 3): the company's dunning levels (admins), and
putting a billing account on hold or lifting it (finance, admins; asked once)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views import View

from accounts.models import Account
from accounts.platform import permissions
from accounts.platform.forms import Form, TenantFormMixin, add_service_error, column_field
from accounts.platform.views import TenantViewMixin
from agreements.models import Product, ProductKind
from invoicing import mail, reminder_mail
from invoicing.models import DunningLevel, Reminder, ReminderHold
from invoicing.services import reminders

HELP = mail.placeholder_help(reminder_mail.PLACEHOLDERS)


class DunningLevelForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = DunningLevel
        fields = ["level", "days_after_due", "subject", "body", "fee_amount", "fee_product"]
        widgets = {"body": forms.Textarea(attrs={"rows": 9})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fees = Product.objects.filter(kind=ProductKind.FEE, is_active=True)
        if self.instance.fee_product_id:
            fees = fees | Product.objects.filter(pk=self.instance.fee_product_id)
        self.fields["fee_product"].queryset = fees.order_by("code")
        self.fields["subject"].help_text = HELP
        self.fields["body"].help_text = "The same placeholders as the subject."

    def _template(self, name):
        text = self.cleaned_data.get(name) or ""
        problems = mail.template_problems(text, reminder_mail.PLACEHOLDERS)
        if problems:
            raise forms.ValidationError(problems)
        return text

    def clean_subject(self):
        return self._template("subject")

    def clean_body(self):
        return self._template("body")


class HoldForm(Form):
    reason = column_field(ReminderHold, "reason", required=False)


def _levels_url(request):
    return reverse("invoicing:dunning-levels", kwargs={"tenant_slug": request.tenant.slug})


class DunningLevelsView(TenantViewMixin, View):
    """The list of levels and the form to add one."""

    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    template_name = "invoicing/dunning_levels.html"

    def render_page(self, form, status=200):
        return render(
            self.request,
            self.template_name,
            {"levels": DunningLevel.objects.select_related("fee_product"), "form": form},
            status=status,
        )

    def get(self, request):
        taken = DunningLevel.objects.order_by("-level").values_list("level", flat=True).first()
        return self.render_page(
            DunningLevelForm(tenant=request.tenant, initial={"level": (taken or 0) + 1})
        )

    def post(self, request):
        form = DunningLevelForm(request.POST, tenant=request.tenant)
        if not form.is_valid():
            return self.render_page(form, status=422)
        try:
            level = reminders.dunning_level_save(
                tenant=request.tenant, by=request.user, level=form.instance
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_page(form, status=422)
        messages.success(request, gettext("%(level)s saved.") % {"level": level})
        return redirect(_levels_url(request))


class DunningLevelEditView(TenantViewMixin, View):
    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    template_name = "invoicing/dunning_level_form.html"

    def get(self, request, pk):
        level = get_object_or_404(DunningLevel.objects, pk=pk)
        form = DunningLevelForm(instance=level, tenant=request.tenant)
        return render(request, self.template_name, {"level": level, "form": form})

    def post(self, request, pk):
        level = get_object_or_404(DunningLevel.objects, pk=pk)
        if request.POST.get("action") == "delete":
            reminders.dunning_level_delete(tenant=request.tenant, by=request.user, level=level)
            messages.success(request, gettext("Level %(level)s deleted.") % {"level": level.level})
            return redirect(_levels_url(request))
        form = DunningLevelForm(request.POST, instance=level, tenant=request.tenant)
        if form.is_valid():
            try:
                reminders.dunning_level_save(
                    tenant=request.tenant, by=request.user, level=form.instance
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, gettext("%(level)s saved.") % {"level": level})
                return redirect(_levels_url(request))
        return render(request, self.template_name, {"level": level, "form": form}, status=422)


class ReminderHoldView(TenantViewMixin, View):
    """Put a billing account on hold (with its reason), or lift its hold: asked once."""

    permission = permissions.INVOICE
    write_permission = permissions.INVOICE
    template_name = "invoicing/reminder_hold.html"

    def render_page(self, account, form, status=200):
        hold = ReminderHold.objects.filter(account=account).select_related("created_by").first()
        return render(
            self.request,
            self.template_name,
            {"account": account, "hold": hold, "form": form},
            status=status,
        )

    def get(self, request, account_pk):
        account = get_object_or_404(Account.objects, pk=account_pk)
        return self.render_page(account, HoldForm())

    def post(self, request, account_pk):
        account = get_object_or_404(Account.objects, pk=account_pk)
        form = HoldForm(request.POST)
        if not form.is_valid():
            return self.render_page(account, form, status=422)
        call = {"tenant": request.tenant, "by": request.user, "account": account}
        try:
            if request.POST.get("action") == "lift":
                reminders.reminder_hold_lift(reason=form.cleaned_data["reason"], **call)
                messages.success(
                    request,
                    gettext("Reminders to %(account_name)s resume with the next run.")
                    % {"account_name": account.name},
                )
            else:
                reminders.reminder_hold(reason=form.cleaned_data["reason"], **call)
                messages.success(
                    request,
                    gettext("%(account_name)s is on hold: it gets no reminders.")
                    % {"account_name": account.name},
                )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_page(account, form, status=422)
        return redirect(account.get_absolute_url() + "invoices/")


def invoice_reminders(invoice) -> list[Reminder]:
    """The reminders of an invoice, latest first (its page's panel)."""
    return list(Reminder.objects.filter(invoice=invoice).order_by("-level"))


def account_reminders_context(account) -> dict:
    return {"hold": ReminderHold.objects.filter(account=account).first()}
