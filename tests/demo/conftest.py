from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="package", autouse=True)
def seeded_demo(django_db_setup, django_db_blocker):
    """`seed_demo` once for this package, whose tests only read the demo (seeding takes 8 to 40 s
    depending on the machine; it ran once per module and once more for the e-invoice check). It
    runs in a transaction the tests nest in: each test's own writes roll back to its savepoint,
    and the demo itself is rolled back after the package. `seed_demo` on an empty database is
    tested in tests/seeding."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)
