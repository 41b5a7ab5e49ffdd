"""Funding sources of a project: adding, changing and removing a funder (who pays which share of
the project's lines is decided at invoicing, `invoicing.services.funding`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import round_money
from agreements.models import Product, TrainingPackage
from projects.models import FunderKind, FunderScope, Project, ProjectFunder


def _check(tenant, project: Project, funder: ProjectFunder, products, packages) -> None:
    errors = {}
    if funder.kind == FunderKind.CUSTOMER:
        funder.account = project.billing_account  # the customer pays where the project bills
    elif funder.kind == FunderKind.INTERNAL:
        funder.account = None  # nobody is invoiced: its share is taken off the customer's invoice
    elif funder.account_id:
        account = funder.account
        if account.tenant_id != tenant.pk:
            errors["account"] = _("Choose an account of your own company.")
        elif account.sales_currency and account.sales_currency != project.currency:
            errors["account"] = _(
                "%(account)s buys in %(theirs)s and this project is in %(ours)s: choose an "
                "account that can be invoiced in %(ours)s."
            ) % {
                "account": account.name,
                "theirs": account.sales_currency,
                "ours": project.currency,
            }
    if funder.percent is None and funder.cap is None:
        errors["percent"] = _("Give a percentage, a cap, or both (e.g. 40 % up to a cap).")
    if any(row.tenant_id != tenant.pk for row in [*products, *packages]):
        errors["products"] = _("Choose products and packages of your own company.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def funder_save(
    *,
    tenant,
    by,
    funder: ProjectFunder,
    products: Iterable[Product] | None = None,
    packages: Iterable[TrainingPackage] | None = None,
) -> ProjectFunder:
    """Add or change a funder of `funder.project`, with the products and training packages it
    funds (none: every line). Its cap is in the project's currency."""
    require_active(tenant)
    project = Project.objects.select_related("billing_account").get(pk=funder.project_id)
    check_tenant(tenant, project)
    if products is None and packages is None:
        # Neither given (the admin's funder form, whose scopes are an inline): it keeps them.
        kept = list(funder.scopes.select_related("product", "package")) if funder.pk else []
        products = [scope.product for scope in kept if scope.product_id]
        packages = [scope.package for scope in kept if scope.package_id]
    products, packages = list(products or ()), list(packages or ())
    funder.tenant = tenant
    _check(tenant, project, funder, products, packages)
    if funder.cap is not None:
        funder.cap = round_money(funder.cap, project.currency)
    funder.full_clean()
    created = funder.pk is None
    funder.save()
    funder.scopes.all().delete()
    FunderScope.objects.bulk_create(
        [FunderScope(tenant=tenant, funder=funder, product=product) for product in products]
        + [FunderScope(tenant=tenant, funder=funder, package=package) for package in packages]
    )
    audit(
        tenant=tenant,
        actor=by,
        action="funder added" if created else "funder changed",
        obj=project,
        after={
            "funder": funder.name,
            "priority": funder.priority,
            "percent": funder.percent,
            "cap": funder.cap,
            "admin_fee_percent": funder.admin_fee_percent,
            "funds": ", ".join(str(row) for row in [*products, *packages]) or "everything",
        },
    )
    return funder


@transaction.atomic
def funder_delete(*, tenant, by, funder: ProjectFunder) -> None:
    """Remove a funder that has billed nothing; one that has keeps its history (set its cap to
    what it has paid instead)."""
    require_active(tenant)
    check_tenant(tenant, funder)
    audit(
        tenant=tenant,
        actor=by,
        action="funder removed",
        obj=funder.project,
        before={"funder": funder.name},
    )
    try:
        with transaction.atomic():
            funder.delete()
    except ProtectedError:  # invoice lines bill its share (invoicing's rows, not named here)
        raise ValidationError(
            _(
                "%(funder)s is on invoices already, so it stays: set its cap to what it has "
                "paid to stop it funding more."
            )
            % {"funder": funder.name}
        ) from None
