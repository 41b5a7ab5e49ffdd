from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup, django_db_blocker):
    """`seed_demo` once for a module whose tests only read the demo (it took 8 s a test, twenty
    times over). It runs in a transaction the module's tests nest in: each test's own writes
    roll back to its savepoint, and the demo itself is rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)
