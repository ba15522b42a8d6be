"""Triggers that write a ReportDataChange row for every statement changing what a report shows: ratings, their
scores and checklist ticks, verdicts, their scores and ticks. PostgreSQL: statement-level triggers over the
transition tables (one row per campaign and statement, so a bulk import or COPY costs one join); SQLite (the
embedded default): row-level triggers."""

from django.db import migrations

RATING_CHILD = "JOIN annotation_rating x ON x.id = r.rating_id JOIN annotation_item i ON i.id = x.item_id"
VERDICT_CHILD = "JOIN judging_verdict x ON x.id = r.verdict_id JOIN annotation_item i ON i.id = x.item_id"
# table -> (how a changed row `r` reaches its item `i` in PostgreSQL, the item's id from SQLite's NEW or OLD row)
SOURCES = {
    "annotation_rating": ("JOIN annotation_item i ON i.id = r.item_id", "{row}.item_id"),
    "annotation_ratingscore": (RATING_CHILD, "(SELECT item_id FROM annotation_rating WHERE id = {row}.rating_id)"),
    "annotation_ratingcheck": (RATING_CHILD, "(SELECT item_id FROM annotation_rating WHERE id = {row}.rating_id)"),
    "judging_verdict": ("JOIN annotation_item i ON i.id = r.item_id", "{row}.item_id"),
    "judging_verdictscore": (VERDICT_CHILD, "(SELECT item_id FROM judging_verdict WHERE id = {row}.verdict_id)"),
    "judging_verdictcheck": (VERDICT_CHILD, "(SELECT item_id FROM judging_verdict WHERE id = {row}.verdict_id)"),
}
EVENTS = {"INSERT": "NEW", "UPDATE": "NEW", "DELETE": "OLD"}


def postgresql_sql(table, source):
    join = source[0]
    function = f"exports_report_change_{table}"
    insert = "INSERT INTO exports_reportdatachange (campaign_id) SELECT DISTINCT i.campaign_id FROM {rows} r " + join
    statements = [
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'DELETE' THEN {insert.format(rows='old_rows')}; "
        f"ELSE {insert.format(rows='new_rows')}; END IF; RETURN NULL; END $$"
    ]
    for event, side in EVENTS.items():
        statements.append(
            f"CREATE TRIGGER {table}_report_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {side} TABLE AS {side.lower()}_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    reverse = [f"DROP FUNCTION IF EXISTS {function}() CASCADE"]
    return statements, reverse


def sqlite_sql(table, source):
    statements, reverse = [], []
    for event, side in EVENTS.items():
        name = f"{table}_report_{event.lower()}"
        item_id = source[1].format(row=side)
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN INSERT INTO exports_reportdatachange (campaign_id) "
            f"SELECT campaign_id FROM annotation_item WHERE id = {item_id}; END"
        )
        reverse.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements, reverse


def create_triggers(apps, schema_editor):
    build = postgresql_sql if schema_editor.connection.vendor == "postgresql" else sqlite_sql
    for table, source in SOURCES.items():
        for statement in build(table, source)[0]:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    build = postgresql_sql if schema_editor.connection.vendor == "postgresql" else sqlite_sql
    for table, source in SOURCES.items():
        for statement in build(table, source)[1]:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("exports", "0003_report_snapshots"),
        ("judging", "0011_verdict_turn"),  # after the verdict table is rebuilt (SQLite drops its triggers)
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
