"""Database triggers that keep SlotTally: per annotator and campaign, how many slots they hold and have rated.

Every write to ItemSlot goes through them (a claim, an assignment, a submit, a reassignment, a deletion),
whichever code path made it, so the count is never recomputed: handing out the next item reports the
annotator's progress by reading one row instead of counting their slots, which grows with every rating.
"""

from django.db import migrations

SLOTS = "annotation_itemslot"
TALLY = "annotation_slottally"
FUNCTION = "annotation_itemslot_tally"

# What changes a tally: the slot's annotator, or whether it is rated (not a lease renewal).
CHANGED = "(OLD.annotator_id IS DISTINCT FROM NEW.annotator_id OR (OLD.rating_id IS NULL) <> (NEW.rating_id IS NULL))"


def _postgres_sql():
    return [
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.annotator_id IS NOT NULL THEN
                UPDATE {TALLY} SET slots = slots - 1, rated = rated - (OLD.rating_id IS NOT NULL)::int
                WHERE annotator_id = OLD.annotator_id AND campaign_id = OLD.campaign_id;
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.annotator_id IS NOT NULL THEN
                INSERT INTO {TALLY} AS t (annotator_id, campaign_id, slots, rated)
                VALUES (NEW.annotator_id, NEW.campaign_id, 1, (NEW.rating_id IS NOT NULL)::int)
                ON CONFLICT (annotator_id, campaign_id)
                DO UPDATE SET slots = t.slots + 1, rated = t.rated + EXCLUDED.rated;
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql;
        """,
        f"DROP TRIGGER IF EXISTS {FUNCTION}_insert_delete ON {SLOTS};",
        f"DROP TRIGGER IF EXISTS {FUNCTION}_update ON {SLOTS};",
        f"""
        CREATE TRIGGER {FUNCTION}_insert_delete AFTER INSERT OR DELETE ON {SLOTS}
        FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
        """,
        f"""
        CREATE TRIGGER {FUNCTION}_update AFTER UPDATE OF annotator_id, rating_id ON {SLOTS}
        FOR EACH ROW WHEN {CHANGED} EXECUTE FUNCTION {FUNCTION}();
        """,
    ]


def _sqlite_sql():
    less = f"""
        UPDATE {TALLY} SET slots = slots - 1, rated = rated - (OLD.rating_id IS NOT NULL)
        WHERE OLD.annotator_id IS NOT NULL AND annotator_id = OLD.annotator_id AND campaign_id = OLD.campaign_id;"""
    more = f"""
        INSERT OR IGNORE INTO {TALLY} (annotator_id, campaign_id, slots, rated)
        SELECT NEW.annotator_id, NEW.campaign_id, 0, 0 WHERE NEW.annotator_id IS NOT NULL;
        UPDATE {TALLY} SET slots = slots + 1, rated = rated + (NEW.rating_id IS NOT NULL)
        WHERE NEW.annotator_id IS NOT NULL AND annotator_id = NEW.annotator_id AND campaign_id = NEW.campaign_id;"""
    sqlite_changed = CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    return [
        f"CREATE TRIGGER IF NOT EXISTS {FUNCTION}_insert AFTER INSERT ON {SLOTS} FOR EACH ROW BEGIN {more} END;",
        f"CREATE TRIGGER IF NOT EXISTS {FUNCTION}_delete AFTER DELETE ON {SLOTS} FOR EACH ROW BEGIN {less} END;",
        f"""CREATE TRIGGER IF NOT EXISTS {FUNCTION}_update AFTER UPDATE OF annotator_id, rating_id ON {SLOTS}
        FOR EACH ROW WHEN {sqlite_changed} BEGIN {less} {more} END;""",
    ]


def _drop_sql(vendor):
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {FUNCTION}_insert_delete ON {SLOTS};",
                f"DROP TRIGGER IF EXISTS {FUNCTION}_update ON {SLOTS};", f"DROP FUNCTION IF EXISTS {FUNCTION}();"]
    return [f"DROP TRIGGER IF EXISTS {FUNCTION}_{event};" for event in ("insert", "delete", "update")]


BACKFILL = f"""
INSERT INTO {TALLY} (annotator_id, campaign_id, slots, rated)
SELECT annotator_id, campaign_id, count(*), count(rating_id) FROM {SLOTS}
WHERE annotator_id IS NOT NULL GROUP BY annotator_id, campaign_id
"""


def slot_tally_triggers():
    """A migration operation that counts the existing slots into SlotTally and installs the triggers."""

    def install(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        schema_editor.execute(f"DELETE FROM {TALLY}", params=None)
        schema_editor.execute(BACKFILL, params=None)
        for statement in _postgres_sql() if vendor == "postgresql" else _sqlite_sql():
            schema_editor.execute(statement, params=None)

    def remove(apps, schema_editor):
        for statement in _drop_sql(schema_editor.connection.vendor):
            schema_editor.execute(statement, params=None)

    return migrations.RunPython(install, remove)
