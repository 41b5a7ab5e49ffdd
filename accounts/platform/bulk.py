"""Writing many new rows at once, faster than `bulk_create` where the database allows.

On PostgreSQL the rows are streamed through COPY: no INSERT statement is built and no
parameters are quoted by the driver one by one. Row-level security refuses COPY FROM into a
tenant table (accounts.platform.rls), so the rows are copied into a temporary table of the same
columns and moved by one INSERT ... SELECT, which the tenant policy checks row by row: a row of
another tenant than the active one is refused. Elsewhere it is `bulk_create`. Either way, as with
`bulk_create`, `save()` and signals do not run and the rows are not validated: the caller (a
service) has built them whole.

COPY gives no ids back. With `ids=True` the rows are given theirs first, drawn from the table's
own sequence in one query (as the database would draw them), so the caller can point other new
rows at them: a bulk run's invoices, then their lines, then the lines' claims. (`bulk_create`
gives ids back too, but builds one INSERT of every value, each prepared by Django and quoted by
the driver: for a batch of 250 invoices, a sixth of drafting them.) Without it the rows keep no
id: use it so where the caller does not need them.
"""

from collections.abc import Sequence

from django.db import models, router, transaction

# Field classes whose Python value the driver writes as it is: Django's preparation of them
# (most of bulk_create's time) would return the value unchanged. Exact classes only, so that
# a subclass that converts its value keeps Django's preparation.
PLAIN_FIELDS = {
    models.AutoField,
    models.BigAutoField,
    models.CharField,
    models.SlugField,
    models.TextField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.BigIntegerField,
    models.BooleanField,
    models.DecimalField,
    models.DateField,
}
INTEGER_KEYS = {models.AutoField, models.BigAutoField, models.IntegerField, models.BigIntegerField}


def _is_plain(field: models.Field) -> bool:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return False
    if type(field) in (models.ForeignKey, models.OneToOneField):
        return type(field.target_field) in INTEGER_KEYS
    return type(field) in PLAIN_FIELDS


def insert_rows(
    model: type[models.Model], rows: Sequence[models.Model], *, ids: bool = False
) -> None:
    if not rows:
        return
    connection = transaction.get_connection(router.db_for_write(model))
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows)  # gives the ids back where the database can
        return
    if ids:
        _draw_ids(connection, model, rows)
    # Without `ids`, the primary key is left to the database's identity column, as bulk_create
    # does.
    fields = [field for field in model._meta.concrete_fields if ids or not field.primary_key]
    plain = [field for field in fields if _is_plain(field)]
    prepared = [field for field in fields if not _is_plain(field)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    staging = quote(f"bulk_{model._meta.db_table}")
    columns = ", ".join(quote(field.column) for field in plain + prepared)
    plain_names = [field.attname for field in plain]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = [getattr(row, name) for name in plain_names]
                values += [
                    field.get_db_prep_save(field.pre_save(row, True), connection)
                    for field in prepared
                ]
                copy.write_row(values)
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging}")
        cursor.execute(f"DROP TABLE {staging}")


def _draw_ids(connection, model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Give `rows` the next ids of the table's identity sequence, in order, and mark them as
    saved (as `bulk_create` does)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, len(rows)],
        )
        drawn = sorted(pk for (pk,) in cursor.fetchall())
    for row, pk in zip(rows, drawn, strict=True):
        row.pk = pk
        row._state.adding, row._state.db = False, connection.alias
