"""The benches' own databases: each bench drops and recreates the one it is given (never point one at real data).

``HYOKA_BENCH_TEMPLATE_DATABASE`` names an already migrated PostgreSQL database to copy instead of starting
empty, so that the bench's own ``migrate`` has nothing left to do (the smoke test of every bench,
tests/test_benches.py, migrates one template for all of them). An ``sqlite:///`` URL names a file, removed first.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit


def recreate_database(url):
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(unquote(parts.path)[1:])
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    name = unquote(parts.path.lstrip("/"))
    template = os.environ.get("HYOKA_BENCH_TEMPLATE_DATABASE")
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                         password=parts.password or None, dbname="postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
