"""Database triggers that keep a judge failure from ever being a score: a VerdictScore row is refused on a verdict
whose parse status is a failure (anything but ok and imported, judging.models.Verdict.SCORED).

A CHECK constraint cannot look at the verdict's row, so this is a trigger. It raises a constraint violation,
which Django reports as IntegrityError on both PostgreSQL and SQLite. A migration that rebuilds judging_verdict
on SQLite takes the triggers off with ``remove`` and puts them back with ``install`` (see judging migration 0006).
"""

from django.db import migrations

SCORED = "('ok', 'imported')"

POSTGRES = [
    f"""
    CREATE OR REPLACE FUNCTION judging_verdictscore_only_on_scored() RETURNS trigger AS $$
    DECLARE status varchar;
    BEGIN
        SELECT parse_status INTO status FROM judging_verdict WHERE id = NEW.verdict_id;
        IF status NOT IN {SCORED} THEN
            RAISE EXCEPTION 'verdict % is a % failure and cannot have scores', NEW.verdict_id, status
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql;
    """,
    "DROP TRIGGER IF EXISTS judging_verdictscore_only_on_scored ON judging_verdictscore;",
    """
    CREATE TRIGGER judging_verdictscore_only_on_scored BEFORE INSERT OR UPDATE OF verdict_id
    ON judging_verdictscore FOR EACH ROW EXECUTE FUNCTION judging_verdictscore_only_on_scored();
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS judging_verdictscore_only_on_scored ON judging_verdictscore;",
    "DROP FUNCTION IF EXISTS judging_verdictscore_only_on_scored();",
]
SQLITE = [
    f"""
    CREATE TRIGGER IF NOT EXISTS judging_verdictscore_only_on_scored_{event.lower()} BEFORE {event}
    ON judging_verdictscore FOR EACH ROW WHEN EXISTS (
        SELECT 1 FROM judging_verdict v WHERE v.id = NEW.verdict_id AND v.parse_status NOT IN {SCORED}
    )
    BEGIN SELECT RAISE(ABORT, 'a failed verdict cannot have scores'); END;
    """
    for event in ("INSERT", "UPDATE")
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS judging_verdictscore_only_on_scored_{event};" for event in ("insert", "update")]


def install(apps, schema_editor):
    for statement in POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE:
        schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    for statement in POSTGRES_DROP if schema_editor.connection.vendor == "postgresql" else SQLITE_DROP:
        schema_editor.execute(statement, params=None)


def failed_verdicts_have_no_scores():
    """A migration operation that installs the triggers."""
    return migrations.RunPython(install, remove)
