"""Database triggers that keep a published release as it was published.

Once a release leaves the draft state:
- its row can change only once more, from published to withdrawn with a reason (and the time);
- it cannot be deleted, and neither can its campaigns' links or its files' rows;
- no file row can be added, changed or removed.

The triggers raise a constraint violation, which Django reports as IntegrityError on
PostgreSQL and SQLite alike. On PostgreSQL the release row is compared as JSON less the
three columns a withdrawal may set, so columns added later are covered too; SQLite
compares the columns the table has when the triggers are installed, one by one.

On SQLite, a later migration that rebuilds exports_release (most ALTERs) must drop these
triggers first (``remove``) and install them again after (``install``): SQLite checks the file
and campaign triggers, which name exports_release, when the rebuilt table is renamed into place.
"""

from django.db import migrations

RELEASE = "exports_release"
FILE = "exports_releasefile"
LINK = "exports_releasecampaign"
WITHDRAWAL_COLUMNS = ("status", "withdrawn_reason", "withdrawn_at")

POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION {RELEASE}_immutable() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'draft' THEN
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.status = 'published' AND NEW.status = 'withdrawn'
           AND NEW.withdrawn_reason <> ''
           AND to_jsonb(NEW) - '{{{",".join(WITHDRAWAL_COLUMNS)}}}'::text[]
             = to_jsonb(OLD) - '{{{",".join(WITHDRAWAL_COLUMNS)}}}'::text[] THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'release % % is %: it never changes (a correction is a new version)',
            OLD.name, OLD.version, OLD.status USING ERRCODE = 'check_violation';
    END $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE TRIGGER {RELEASE}_immutable BEFORE UPDATE OR DELETE ON {RELEASE}
    FOR EACH ROW EXECUTE FUNCTION {RELEASE}_immutable();
    """,
    f"""
    CREATE OR REPLACE FUNCTION {RELEASE}_part_immutable() RETURNS trigger AS $$
    DECLARE state text;
    BEGIN
        SELECT status INTO state FROM {RELEASE}
        WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.release_id ELSE OLD.release_id END;
        IF state IS NOT NULL AND state <> 'draft' THEN
            RAISE EXCEPTION 'release % is %: its files and campaigns never change', 
                CASE WHEN TG_OP = 'INSERT' THEN NEW.release_id ELSE OLD.release_id END, state
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END $$ LANGUAGE plpgsql;
    """,
    *(
        f"""
        CREATE TRIGGER {table}_immutable BEFORE INSERT OR UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {RELEASE}_part_immutable();
        """
        for table in (FILE, LINK)
    ),
]

POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS {RELEASE}_immutable ON {RELEASE};",
    f"DROP TRIGGER IF EXISTS {FILE}_immutable ON {FILE};",
    f"DROP TRIGGER IF EXISTS {LINK}_immutable ON {LINK};",
    f"DROP FUNCTION IF EXISTS {RELEASE}_immutable();",
    f"DROP FUNCTION IF EXISTS {RELEASE}_part_immutable();",
]

SQLITE_MESSAGE = "a published or withdrawn release never changes (a correction is a new version)"


def _sqlite_install(columns):
    unchanged = " AND ".join(f'NEW."{column}" IS OLD."{column}"' for column in columns
                             if column not in WITHDRAWAL_COLUMNS)
    statements = [
        f"""
        CREATE TRIGGER IF NOT EXISTS {RELEASE}_immutable_update BEFORE UPDATE ON {RELEASE}
        FOR EACH ROW WHEN OLD.status <> 'draft' AND NOT (
            OLD.status = 'published' AND NEW.status = 'withdrawn' AND NEW.withdrawn_reason <> '' AND {unchanged}
        )
        BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END;
        """,
        f"""
        CREATE TRIGGER IF NOT EXISTS {RELEASE}_immutable_delete BEFORE DELETE ON {RELEASE}
        FOR EACH ROW WHEN OLD.status <> 'draft'
        BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END;
        """,
    ]
    for table in (FILE, LINK):
        for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            statements.append(
                f"""
                CREATE TRIGGER IF NOT EXISTS {table}_immutable_{event.lower()} BEFORE {event} ON {table}
                FOR EACH ROW WHEN (SELECT status FROM {RELEASE} WHERE id = {row}.release_id) <> 'draft'
                BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END;
                """
            )
    return statements


def _sqlite_remove():
    names = [f"{RELEASE}_immutable_update", f"{RELEASE}_immutable_delete"]
    names += [f"{table}_immutable_{event}" for table in (FILE, LINK) for event in ("insert", "update", "delete")]
    return [f"DROP TRIGGER IF EXISTS {name};" for name in names]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = POSTGRES_INSTALL
    else:
        release = apps.get_model("exports", "Release")
        statements = _sqlite_install([field.column for field in release._meta.concrete_fields])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def remove(apps, schema_editor):
    statements = POSTGRES_REMOVE if schema_editor.connection.vendor == "postgresql" else _sqlite_remove()
    for statement in statements:
        schema_editor.execute(statement, params=None)


def published_releases_immutable():
    """A migration operation that installs the triggers."""
    return migrations.RunPython(install, remove)


# The series of a release (exports 0005) are held like its campaigns, by the same function (PostgreSQL) or the
# same per-event triggers (SQLite).
SERIES_LINK = "exports_releaseseries"


def _series_link_statements(connection):
    if connection.vendor == "postgresql":
        return [f"""
            CREATE TRIGGER {SERIES_LINK}_immutable BEFORE INSERT OR UPDATE OR DELETE ON {SERIES_LINK}
            FOR EACH ROW EXECUTE FUNCTION {RELEASE}_part_immutable();
            """]
    return [f"""
            CREATE TRIGGER IF NOT EXISTS {SERIES_LINK}_immutable_{event.lower()} BEFORE {event} ON {SERIES_LINK}
            FOR EACH ROW WHEN (SELECT status FROM {RELEASE} WHERE id = {row}.release_id) <> 'draft'
            BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END;
            """ for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))]


def _install_series_links(apps, schema_editor):
    for statement in _series_link_statements(schema_editor.connection):
        schema_editor.execute(statement, params=None)


def _remove_series_links(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        names = [f"DROP TRIGGER IF EXISTS {SERIES_LINK}_immutable ON {SERIES_LINK};"]
    else:
        names = [f"DROP TRIGGER IF EXISTS {SERIES_LINK}_immutable_{event};" for event in ("insert", "update", "delete")]
    for statement in names:
        schema_editor.execute(statement, params=None)


def series_links_immutable():
    """A migration operation that holds a published release's series as its campaigns are held."""
    return migrations.RunPython(_install_series_links, _remove_series_links)
