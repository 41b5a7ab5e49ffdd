"""Cross-app hardening tests: hostile input (issue item 4) and responses (item 6)."""

from tests.invoicing.conftest import act, billing, in_billing_tenant  # noqa: F401
