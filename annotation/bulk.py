"""Fast bulk inserts for imports: PostgreSQL COPY, SQLite executemany.

Django's bulk_create spends most of an import's time building model instances
and SQL for wide text rows; COPY streams them, and SQLite runs one prepared
INSERT over all the rows. Ids are taken first (from the table's sequence on
PostgreSQL; on SQLite, past the table's highest id while the transaction holds
the database's write lock), so callers get them back in order, as bulk_create
would give them.
"""

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone


def bulk_insert(model, rows):
    """Insert ``rows`` (dicts of field name → value) as ``model`` rows; return their ids in order.

    Fields left out take their defaults (auto_now_add fields: now). Runs inside
    the caller's transaction; constraints and triggers apply as for any insert.
    """
    if not rows:
        return []
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the thread-local proxy: faster per value
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    table = model._meta.db_table
    now = timezone.now()
    if connection.vendor == "sqlite":
        return _sqlite_insert(connection, table, fields, rows, now)
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        model.objects.bulk_create(objects)
        return [obj.pk for obj in objects]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        columns = ", ".join(connection.ops.quote_name(column) for column in ["id"] + [f.column for f in fields])
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows):
                copy.write_row([pk] + [_db_value(field, row, now, connection) for field in fields])
    return ids


def _sqlite_insert(connection, table, fields, rows, now):
    """Ids after the highest the table has given (SQLite's AUTOINCREMENT counter, or its rows), then one INSERT
    run over all rows. The write lock, taken when the transaction began (IMMEDIATE) or by the first write, keeps
    another writer from taking the same ids."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in ["id"] + [field.column for field in fields])
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
                       f"coalesce((SELECT max(id) FROM {quote(table)}), 0))", [table])
        first = cursor.fetchone()[0] + 1
        ids = list(range(first, first + len(rows)))
        cursor.executemany(
            f"INSERT INTO {quote(table)} ({columns}) VALUES ({', '.join(['%s'] * (len(fields) + 1))})",
            [[pk] + [_db_value(field, row, now, connection) for field in fields] for pk, row in zip(ids, rows)])
    return ids


def _db_value(field, row, now, connection):
    if field.attname in row:
        value = row[field.attname]
    elif field.name in row:
        value = row[field.name]
    elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
        value = now
    else:
        value = field.get_default()
    return field.get_db_prep_save(value, connection)


def bulk_update_columns(model, fields, rows):
    """Set ``fields`` (attnames) of many rows at once; ``rows`` are tuples (pk, value, ...).

    One ``UPDATE ... FROM unnest(...)`` per call on PostgreSQL; on SQLite one prepared UPDATE run over the rows;
    bulk_update elsewhere.
    """
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "sqlite":
        quote = connection.ops.quote_name
        columns = [model._meta.get_field(name) for name in fields]
        assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE id = %s", [
                [column.get_db_prep_save(value, connection) for column, value in zip(columns, row[1:])] + [row[0]]
                for row in rows])
        return
    if connection.vendor != "postgresql":
        objects = [model(pk=row[0], **dict(zip(fields, row[1:]))) for row in rows]
        model.objects.bulk_update(objects, fields, batch_size=500)
        return
    columns = [model._meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(column.column)} = v.c{index}"
                            for index, column in enumerate(columns))
    arrays = ", ".join(f"%s::{column.db_type(connection)}[]" for column in columns)
    names = ", ".join(f"c{i}" for i in range(len(columns)))
    sql = f"UPDATE {table} SET {assignments} FROM unnest(%s::bigint[], {arrays}) AS v(id, {names}) WHERE {table}.id = v.id"
    with connection.cursor() as cursor:
        cursor.execute(sql, [[row[index] for row in rows] for index in range(len(fields) + 1)])
