"""The embedded default (bin/run without DATABASE_URL) is SQLite: every migration must apply there too,
even when the suite itself runs on PostgreSQL."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_all_migrations_apply_to_a_fresh_sqlite_database_with_their_triggers(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "HYOKA_TEST_DATABASE_NAME")}
    env["HYOKA_VAR_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    triggers = {name for (name,) in sqlite3.connect(tmp_path / "hyoka.sqlite3").execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"annotation_ratingscore_score_in_range_insert", "judging_verdictscore_score_in_range_insert",
            "judging_verdictscore_only_on_scored_insert", "exports_release_immutable_update"} <= triggers
