"""On SQLite, Django learns the library's real parameter limit (accounts/platform/sqlite.py)."""

import sqlite3

import pytest
from django.db import connection


@pytest.mark.django_db
def test_a_sqlite_connection_takes_the_librarys_own_parameter_limit():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has no such limit to learn")
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    assert connection.features.max_query_params == max(999, limit)
    # So a batch of 25 wide rows (an invoice has over 40 columns) is one INSERT, not two.
    assert connection.ops.bulk_batch_size(["column"] * 45, [object()] * 25) >= 25
