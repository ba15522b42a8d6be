"""An exam campaign's report reads more than ratings: the models' answers (ExamAnswer, written by generation
jobs and imports), the questions (a correct answer's form set later, the students' correct rates) and the exams
(the students' averages, import_exam_stats). A change to any of them writes a ReportDataChange row, as a change
of ratings does (0004), so the report page computes its figures again. PostgreSQL: statement-level triggers over
the transition tables; SQLite: row-level triggers."""

from django.db import migrations

# table -> (how a changed row `r` reaches its campaign in PostgreSQL (a FROM clause giving c.campaign_id),
#           the campaign of SQLite's NEW or OLD row `{row}` (a SELECT giving campaign_id))
SOURCES = {
    "annotation_examanswer": (
        "{rows} r JOIN annotation_examquestion q ON q.id = r.question_id JOIN annotation_item c ON c.id = q.item_id",
        "SELECT i.campaign_id FROM annotation_examquestion q JOIN annotation_item i ON i.id = q.item_id "
        "WHERE q.id = {row}.question_id"),
    "annotation_examquestion": (
        "{rows} r JOIN annotation_item c ON c.id = r.item_id",
        "SELECT campaign_id FROM annotation_item WHERE id = {row}.item_id"),
    "annotation_exam": ("{rows} c", "SELECT {row}.campaign_id"),
}
EVENTS = {"INSERT": "NEW", "UPDATE": "NEW", "DELETE": "OLD"}


def postgresql_sql(table, source):
    function = f"exports_report_change_{table}"
    insert = "INSERT INTO exports_reportdatachange (campaign_id) SELECT DISTINCT c.campaign_id FROM " + source[0]
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
    return statements, [f"DROP FUNCTION IF EXISTS {function}() CASCADE"]


def sqlite_sql(table, source):
    statements, reverse = [], []
    for event, side in EVENTS.items():
        name = f"{table}_report_{event.lower()}"
        statements.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN INSERT INTO exports_reportdatachange "
                          f"(campaign_id) {source[1].format(row=side)}; END")
        reverse.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements, reverse


def run(part):
    def apply(apps, schema_editor):
        build = postgresql_sql if schema_editor.connection.vendor == "postgresql" else sqlite_sql
        for table, source in SOURCES.items():
            for statement in build(table, source)[part]:
                schema_editor.execute(statement)
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("exports", "0006_report_change_on_quality_role"),
        ("annotation", "0024_exam_source_license"),  # after the exam table is rebuilt (SQLite drops its triggers)
    ]

    operations = [migrations.RunPython(run(0), run(1))]
