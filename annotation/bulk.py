"""Fast bulk inserts for imports: PostgreSQL COPY, SQLite executemany.

Django's bulk_create spends most of an import's time building model instances
and SQL for wide text rows; COPY streams them, and SQLite runs one prepared
INSERT over all the rows. Ids are taken first (from the table's sequence on
PostgreSQL; on SQLite, past the table's highest id while the transaction holds
the database's write lock), so callers get them back in order, as bulk_create
would give them.
"""

import datetime
import gc
import json
import os
import uuid
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import JSONField
from django.utils import timezone


@contextmanager
def cycle_collector_paused():
    """Within the block, Python's cycle collector does not run; reference counting still frees what is dropped.

    An import keeps many small objects alive from chunk to chunk (what it has stored so far, the chunk being
    written), and the collector walked them again and again: a quarter of the import's time in this process,
    when every record has a prompt of its own. The import's objects hold no cycles; the collector runs again
    (if it ran before) when the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        # The sequence is looked up once (OFFSET 0 keeps the subquery apart): named in nextval's argument, it was
        # looked up again for every id, a seventh of the database's work in an import.
        cursor.execute("SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq "
                       "OFFSET 0) s, generate_series(1, %s)", [table, len(rows)])
        ids = [pk for (pk,) in cursor.fetchall()]
        values = [ids, *(_column(field, rows, now, connection) for field in fields)]
        columns = ", ".join(connection.ops.quote_name(column) for column in ["id"] + [f.column for f in fields])
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            try:
                copy.write(_copy_text(values))
            except _NotCopyText:  # a value of another type: psycopg adapts it
                for row in zip(*values):
                    copy.write_row(row)
    return ids


def bulk_insert_per_value(model, field_name, values, **constants):
    """Insert a ``model`` row for each of ``values`` in field ``field_name`` (an attname), its other fields as
    ``constants`` give them or their defaults; return the new rows' ids. The values are text or whole numbers.

    On PostgreSQL one INSERT over the values, sent as one JSON value, the server making the ids and the new
    random UUIDs: taking ids and writing each row here cost this process as much as the server's work when an
    import made an item of each of its responses. Elsewhere bulk_insert.
    """
    values = list(values)
    if not values:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return bulk_insert(model, [{**constants, field_name: value} for value in values])
    now = timezone.now()
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    varying = model._meta.get_field(field_name)
    expressions, params = [], []
    for field in fields:
        if field is varying:
            expressions.append(f"v.value::{varying.db_type(connection)}")
        elif field.attname not in constants and field.name not in constants and field.default is uuid.uuid4:
            expressions.append("gen_random_uuid()")
        else:
            expressions.append("%s")
            params.append(_db_value(field, constants, now, connection))
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
           f"SELECT {', '.join(expressions)} FROM jsonb_array_elements_text(%s::jsonb) WITH ORDINALITY "
           f"AS v(value, position) ORDER BY v.position RETURNING id")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, json.dumps(values)])
        return [pk for (pk,) in cursor.fetchall()]


class _NotCopyText(Exception):
    """A value _copy_value does not write; psycopg's adapters do."""


def _copy_text(columns):
    """The rows of ``columns`` (lists of database values, as _column gives them) in COPY's text format, encoded.

    Written here a column at a time and sent at once, rather than by psycopg row by row and value by value,
    which was a sixth of an import's time in this process when every record had a prompt of its own."""
    texts = []
    for column in columns:
        first = column[0]
        if all(value is first for value in column):  # a default, or now: one value for every row
            texts.append([_copy_value(first)] * len(column))
        else:
            texts.append([_copy_value(value) for value in column])
    return ("\n".join(map("\t".join, zip(*texts))) + "\n").encode()


def _copy_value(value):
    """``value`` as COPY's text format writes it: backslash, tab, newline and carriage return escaped."""
    kind = type(value)
    if kind is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, int):  # psycopg's Int4 too, as Django sends integer fields
        return str(int(value))
    if kind is datetime.datetime or kind is datetime.date:
        return value.isoformat()
    if kind is uuid.UUID:
        return str(value)
    raise _NotCopyText(kind)


def rows_with_keys(model, key_fields, keys, fields):
    """The ``fields`` (attnames) of every ``model`` row whose ``key_fields`` equal one of ``keys`` (tuples), as
    the ORM's values_list reads them; in no particular order. Key values are text or whole numbers.

    On PostgreSQL the keys go as one JSON value and the table is probed once per key, through its index on the
    key fields: a subquery per key, so that the planner cannot scan the table instead (it did, and in a table
    growing in the import's own transaction, with no statistics yet, each chunk's lookup read every row the
    chunks before it had added). Filters with ``IN`` lists of 2,000 values, or arrays, cost an import more to
    build and bind (psycopg writes them into the statement, value by value) than the database took to answer.
    Elsewhere, a filter on each key field's values, less the rows that match no key.
    """
    keys = set(keys)
    if not keys:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        width = len(key_fields)
        rows = model._base_manager.filter(**{
            f"{name}__in": {key[index] for key in keys} for index, name in enumerate(key_fields)
        }).values_list(*key_fields, *fields)
        return [row[width:] for row in rows if row[:width] in keys]
    quote = connection.ops.quote_name
    keyed = [model._meta.get_field(name) for name in key_fields]
    wanted = [model._meta.get_field(name) for name in fields]
    matches = " AND ".join(f"{quote(field.column)} = (k.key ->> {index})::{field.db_type(connection)}"
                           for index, field in enumerate(keyed))
    sql = (f"SELECT t.* FROM jsonb_array_elements(%s::jsonb) AS k(key) CROSS JOIN LATERAL (SELECT "
           f"{', '.join(quote(field.column) for field in wanted)} FROM {quote(model._meta.db_table)} WHERE {matches} "
           f"OFFSET 0) t")
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps([list(key) for key in keys])])  # one value to bind, not an array literal
        rows = cursor.fetchall()
    converters = [getattr(field, "from_db_value", None) for field in wanted]  # JSON fields read their text
    if not any(converters):
        return rows
    return [tuple(convert(value, None, connection) if convert else value for value, convert in zip(row, converters))
            for row in rows]


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
            [(pk, *values) for pk, values in zip(ids, _values(fields, rows, now, connection))])
    return ids


# Fields (by internal type) that send a value of this exact type as it is (get_db_prep_save gives it back): text
# to text columns, a whole number to integer columns and to foreign keys to integer ids.
_AS_IS = {"CharField": str, "TextField": str, "SlugField": str, "AutoField": int, "BigAutoField": int,
          "SmallAutoField": int, "IntegerField": int, "BigIntegerField": int,
          "SmallIntegerField": int, "PositiveIntegerField": int, "PositiveSmallIntegerField": int,
          "PositiveBigIntegerField": int, "ForeignKey": int, "OneToOneField": int}


def _values(fields, rows, now, connection):
    """Each row's database values in ``fields`` order (tuples), as _db_value gives them, worked out a column at a
    time: how a field gets its value is decided once per call, not once per value (an import of a record with a
    prompt of its own writes 25 values)."""
    return zip(*(_column(field, rows, now, connection) for field in fields))


def _column(field, rows, now, connection):
    """_db_value of ``field`` for every row. A field the rows leave out has one value for all (its default, or
    now) unless its default is a function (a new UUID per row); a JSON field's lists and objects are encoded
    here with one encoder, to the text Django's JSONField would send (json.dumps with its encoder)."""
    prepare = field.get_db_prep_save
    as_is = _AS_IS.get((field.target_field if field.is_relation else field).get_internal_type())
    key = next((key for key in (field.attname, field.name) if all(key in row for row in rows)), None)
    if key is None:
        if any(field.attname in row or field.name in row for row in rows):  # named by some rows only
            return [_db_value(field, row, now, connection) for row in rows]
        if not (field.has_default() and callable(field.default)):
            return [_db_value(field, rows[0], now, connection)] * len(rows)
        if field.default is uuid.uuid4 and connection.vendor in ("postgresql", "sqlite"):
            return _random_uuid_hexes(len(rows))
        return [prepare(field.get_default(), connection) for _ in rows]
    if as_is is not None:
        return [value if type(value) is as_is else prepare(value, connection) for value in (row[key] for row in rows)]
    if isinstance(field, JSONField):
        encode = (field.encoder or json.JSONEncoder)().encode
        empty = {list: "[]", dict: "{}"}  # what the encoder writes for them, without starting it
        return [(encode(value) if value else empty[type(value)]) if type(value) in empty else prepare(value, connection)
                for value in (row[key] for row in rows)]
    return [prepare(row[key], connection) for row in rows]


def _random_uuid_hexes(count):
    """``count`` new random UUIDs (version 4, as uuid.uuid4 makes them) as 32 hex digits: the form a UUID field
    stores on SQLite, and one PostgreSQL's uuid type reads. Made from one read of the system's randomness: a
    third of a record's cost in an import when made one by one (uuid4, then the field's checks)."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes(byte & 0x0F | 0x40 for byte in raw[6::16])  # the version, 4
    raw[8::16] = bytes(byte & 0x3F | 0x80 for byte in raw[8::16])  # the variant, RFC 4122
    text = raw.hex()
    return [text[at:at + 32] for at in range(0, 32 * count, 32)]


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
