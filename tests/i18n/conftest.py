from tests.invoicing.conftest import act, billing, in_billing_tenant  # noqa: F401 (fixtures)
from tests.invoicing.test_reminders import dunning  # noqa: F401 (a fixture)
