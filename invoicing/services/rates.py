"""Exchange rates entered by finance."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.platform.guards import require_active
from invoicing.models import (
    ExchangeRate,
)


@transaction.atomic
def exchange_rate_save(*, tenant, by, rate: ExchangeRate) -> ExchangeRate:
    require_active(tenant)
    rate.tenant = tenant
    rate.currency = rate.currency.upper()
    if rate.currency == tenant.base_currency:
        raise ValidationError(
            {
                "currency": gettext("%(base_currency)s is your base currency: it needs no rate.")
                % {"base_currency": tenant.base_currency}
            }
        )
    rate.full_clean()
    rate.save()
    return rate
