"""SQLite connections learn the library's real limit of parameters per statement.

Django 5.2 assumes 999 (the limit of SQLite builds before 3.32), so `bulk_create` and
`bulk_update` split a batch of wide rows (an invoice has over 40 columns) into several
statements although the library takes 32,766 (250,000 as Debian builds it). Django 6.0 reads the
real limit (ticket #36143); until then this receiver does, when each connection opens, so a bulk
run writes a batch of invoices in one INSERT on SQLite as on PostgreSQL.
"""

import sqlite3

from django.db.backends.signals import connection_created


def _on_connection_created(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if limit > connection.features.max_query_params:
        # Per connection (the features object is the connection's own), never lowered.
        connection.features.max_query_params = limit


connection_created.connect(_on_connection_created, dispatch_uid="accounts.platform.sqlite")
