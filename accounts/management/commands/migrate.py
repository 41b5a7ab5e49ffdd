"""`migrate` as the tables' owner, then the app's role granted the rows of every table
(PostgreSQL row-level security, accounts.platform.rls)."""

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

from accounts.platform import rls


class Command(MigrateCommand):
    def handle(self, *args, **options):
        database = options["database"]
        with rls.as_owner(database):
            result = super().handle(*args, **options)
            if not (options.get("plan") or options.get("check_unapplied")):
                rls.grant_app_role(connections[database])
        return result
