"""`flush` as the tables' owner: the app's role may not TRUNCATE (PostgreSQL row-level security,
accounts.platform.rls). The test suite flushes after every transactional test."""

from django.core.management.commands.flush import Command as FlushCommand

from accounts.platform import rls


class Command(FlushCommand):
    def handle(self, *args, **options):
        with rls.as_owner(options["database"]):
            return super().handle(*args, **options)
