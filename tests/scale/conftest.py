from tests.invoicing.conftest import act, billing, in_billing_tenant  # noqa: F401
