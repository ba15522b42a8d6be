"""Database triggers that keep a score inside its axis range.

A CHECK constraint cannot look at another table, and an axis's range lives on
RubricAxis, so the range check on score rows is a trigger. It raises a
constraint violation, which Django reports as IntegrityError on both
PostgreSQL and SQLite.
"""

from django.db import migrations

AXIS_TABLE = "annotation_rubricaxis"


def _postgres_sql(table):
    function = f"{table}_score_in_range"
    return [
        f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        DECLARE low smallint; high smallint;
        BEGIN
            SELECT min_score, max_score INTO low, high FROM {AXIS_TABLE} WHERE id = NEW.axis_id;
            IF NEW.score < low OR NEW.score > high THEN
                RAISE EXCEPTION 'score % is outside the axis range %..%', NEW.score, low, high
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql;
        """,
        f"DROP TRIGGER IF EXISTS {function} ON {table};",
        f"""
        CREATE TRIGGER {function} BEFORE INSERT OR UPDATE OF score, axis_id ON {table}
        FOR EACH ROW EXECUTE FUNCTION {function}();
        """,
    ]


def _sqlite_sql(table):
    statements = []
    for event in ("INSERT", "UPDATE"):
        name = f"{table}_score_in_range_{event.lower()}"
        statements.append(
            f"""
            CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {table}
            FOR EACH ROW WHEN EXISTS (
                SELECT 1 FROM {AXIS_TABLE} a
                WHERE a.id = NEW.axis_id AND (NEW.score < a.min_score OR NEW.score > a.max_score)
            )
            BEGIN SELECT RAISE(ABORT, 'score is outside the axis range'); END;
            """
        )
    return statements


def _drop_sql(vendor, table):
    if vendor == "postgresql":
        function = f"{table}_score_in_range"
        return [f"DROP TRIGGER IF EXISTS {function} ON {table};", f"DROP FUNCTION IF EXISTS {function}();"]
    return [f"DROP TRIGGER IF EXISTS {table}_score_in_range_{event};" for event in ("insert", "update")]


def score_range_trigger(table):
    """A migration operation that installs the range trigger on ``table`` (columns axis_id, score)."""

    def install(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        statements = _postgres_sql(table) if vendor == "postgresql" else _sqlite_sql(table)
        for statement in statements:
            schema_editor.execute(statement, params=None)

    def remove(apps, schema_editor):
        for statement in _drop_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(install, remove)
