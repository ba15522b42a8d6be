"""The embedded default (bin/run without DATABASE_URL) is SQLite: every migration must apply there too,
even when the suite itself runs on PostgreSQL; and its hand-out statements keep their index plans there."""

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler
from django.utils import timezone

from annotation.services import workflow
from hyoka.settings import database_from_url

ROOT = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.xdist_group("embedded")  # one process runs the module, so its fixtures run once


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory):
    folder = tmp_path_factory.mktemp("embedded")
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "HYOKA_TEST_DATABASE_NAME")}
    env["HYOKA_VAR_DIR"] = str(folder)
    result = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return folder / "hyoka.sqlite3"


def test_all_migrations_apply_to_a_fresh_sqlite_database_with_their_triggers(migrated_sqlite):
    triggers = {name for (name,) in sqlite3.connect(migrated_sqlite).execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"annotation_ratingscore_score_in_range_insert", "judging_verdictscore_score_in_range_insert",
            "judging_verdictscore_only_on_scored_insert", "exports_release_immutable_update",
            "annotation_examanswer_report_insert", "annotation_exam_report_update"} <= triggers


@pytest.mark.django_db
def test_every_trigger_on_postgresql_has_its_sqlite_twin(migrated_sqlite):
    """A migration that adds a field or a constraint to a table rebuilds it on SQLite (create, copy, drop,
    rename), dropping its triggers: a later migration must install them again. Every trigger of the suite's
    PostgreSQL database has its SQLite version (the same name, SQLite's split per event: _insert, _update, ...)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("compares with the triggers of the suite's PostgreSQL database")
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT trigger_name FROM information_schema.triggers "
                       "WHERE trigger_schema = current_schema()")
        on_postgresql = {_family(name) for (name,) in cursor.fetchall()}
    on_sqlite = {_family(name) for (name,) in sqlite3.connect(migrated_sqlite).execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert "annotation_itemslot_tally" in on_postgresql and "annotation_ratingscore_report" in on_postgresql
    assert sorted(on_postgresql - on_sqlite) == []


def _family(name):
    """A trigger's name without the events it fires on (annotation_itemslot_tally_insert_delete → …_tally)."""
    while (trimmed := re.sub(r"_(insert|update|delete)$", "", name)) != name:
        name = trimmed
    return name


@pytest.mark.parametrize("statement,index", [
    (workflow.CLAIM_SQL.format(lock="", item_filter="", source=workflow.CLAIM_SOURCE["sqlite"],
                               claimable=workflow.claimable_conditions("%(me)s", "sqlite")), "slot_open_by_position"),
    (workflow.HELD_SQL.format(source=workflow.HELD_SOURCE["sqlite"]), "slot_held_by_position"),
], ids=["claim", "held"])
def test_sqlite_hands_out_items_by_index_probes_whatever_the_campaigns_size(migrated_sqlite, django_db_blocker,
                                                                            statement, index):
    """The slots are walked in hand-out order through their index, and every other test is a probe of one
    index: nothing is sorted or scanned, so the cost of the next item does not grow with the campaign."""
    connections = ConnectionHandler({"default": database_from_url(f"sqlite:///{migrated_sqlite}")})
    now = timezone.now()
    try:
        with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
            plan = [row[3] for row in cursor.execute(f"EXPLAIN QUERY PLAN {statement}", {
                "me": 1, "campaign": 1, "now": now, "lease_end": now, "item": None}).fetchall()]
    finally:
        connections.close_all()
    assert any(f"USING INDEX {index} (" in step for step in plan), plan
    walks = [step for step in plan if step.startswith(("SCAN", "SEARCH")) and "PRIMARY KEY" not in step]
    assert all(step.startswith("SEARCH") for step in walks), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def manage(folder, *arguments):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "HYOKA_TEST_DATABASE_NAME")}
    env["HYOKA_VAR_DIR"] = str(folder)
    return subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def write_records(path, prompts, bad_line=None):
    lines = [json.dumps({"prompt_id": f"exam-{p}", "prompt": f"問{p}：日本の首都は？", "model": "llm-a",
                         "response": f"答え{p}：東京です。"}, ensure_ascii=False) for p in prompts]
    if bad_line:
        lines.insert(bad_line - 1, json.dumps({"prompt_id": "exam-bad", "prompt": "問", "response": "答え"}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_sqlite_imports_distinct_prompts_in_bulk_all_or_nothing(migrated_sqlite, tmp_path):
    """On SQLite, rows go in with ids taken past the table's highest: a failed import leaves nothing, and the
    next one's prompts, responses and items are linked to each other as the file says."""
    def stored():
        return sqlite3.connect(migrated_sqlite).execute(
            "SELECT p.external_id, p.turns, r.turns FROM annotation_item i JOIN annotation_campaign c "
            "ON c.id = i.campaign_id AND c.slug = 'exam' JOIN annotation_response r ON r.id = i.response_id "
            "JOIN annotation_prompt p ON p.id = r.prompt_id ORDER BY p.id").fetchall()

    first = manage(migrated_sqlite.parent, "import_responses", str(write_records(tmp_path / "a.jsonl", [1, 2, 3])),
                   "--campaign", "exam")
    assert first.returncode == 0, first.stderr[-2000:]
    failed = manage(migrated_sqlite.parent, "import_responses",
                    str(write_records(tmp_path / "bad.jsonl", [4, 5, 6], bad_line=3)), "--campaign", "exam")
    assert failed.returncode != 0
    assert f"{tmp_path / 'bad.jsonl'}:3: model:" in failed.stderr
    assert len(stored()) == 3
    again = manage(migrated_sqlite.parent, "import_responses", str(tmp_path / "a.jsonl"), "--campaign", "exam")
    assert again.returncode == 0 and "3 records: created nothing new; 3 already present" in again.stdout, again.stderr
    second = manage(migrated_sqlite.parent, "import_responses", str(write_records(tmp_path / "b.jsonl", [4, 5])),
                    "--campaign", "exam")
    assert second.returncode == 0, second.stderr[-2000:]
    assert [(external_id, json.loads(prompt), json.loads(response)) for external_id, prompt, response in stored()] == [
        (f"exam-{p}", [f"問{p}：日本の首都は？"], [f"答え{p}：東京です。"]) for p in range(1, 6)]


def test_the_rating_hot_path_gives_the_services_answers_on_sqlite_too(tmp_path):
    """tests/annotation/test_hot_paths.py again, on SQLite (the suite's database is PostgreSQL): the short way's
    answers and what it stores are the DRF views' and the service's, and twenty clients rating at once leave
    every item exactly k ratings."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "HYOKA_TEST_DATABASE_NAME")}
    env["HYOKA_VAR_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                             "tests/annotation/test_hot_paths.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout, result.stdout[-3000:]
