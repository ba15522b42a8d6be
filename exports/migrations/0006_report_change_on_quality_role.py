"""A change of an item's quality-control role (it becomes a gold item, or an ordinary one again) changes what the
reports count (annotation.quality_items), so it writes a ReportDataChange row like a change of ratings does
(0004). Row-level on both databases: roles change rarely, a few items at a time."""

from django.db import migrations

POSTGRESQL = [
    """CREATE FUNCTION exports_report_change_item_role() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
       INSERT INTO exports_reportdatachange (campaign_id) VALUES (NEW.campaign_id); RETURN NULL; END $$""",
    """CREATE TRIGGER annotation_item_report_role AFTER UPDATE OF quality_role ON annotation_item FOR EACH ROW
       WHEN (OLD.quality_role IS DISTINCT FROM NEW.quality_role) EXECUTE FUNCTION exports_report_change_item_role()""",
]
POSTGRESQL_REVERSE = ["DROP FUNCTION IF EXISTS exports_report_change_item_role() CASCADE"]
SQLITE = [
    """CREATE TRIGGER annotation_item_report_role AFTER UPDATE OF quality_role ON annotation_item
       WHEN OLD.quality_role IS NOT NEW.quality_role
       BEGIN INSERT INTO exports_reportdatachange (campaign_id) VALUES (NEW.campaign_id); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS annotation_item_report_role"]


def run(statements):
    def apply(apps, schema_editor):
        postgresql = schema_editor.connection.vendor == "postgresql"
        for statement in statements[0] if postgresql else statements[1]:
            schema_editor.execute(statement)
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("exports", "0005_release_series"),
        ("annotation", "0020_quality_control"),
    ]

    operations = [migrations.RunPython(run((POSTGRESQL, SQLITE)), run((POSTGRESQL_REVERSE, SQLITE_REVERSE)))]
