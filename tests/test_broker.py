"""The embedded default's broker (hyoka.broker): kombu's filesystem transport, a message visible to workers only
once written whole, so a worker never reads a half-written (empty) message file and stops on it."""

import json
import os
import subprocess
import sys
from pathlib import Path
from queue import Empty

import pytest

from hyoka import broker
from hyoka.celery import app


@pytest.fixture
def channel(tmp_path):
    conn = app.connection_for_write(transport="hyoka.broker:Transport", transport_options={
        "data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path),
        "processed_folder": str(tmp_path / "processed"), "store_processed": False})
    with conn:
        yield conn.default_channel


def test_the_embedded_default_uses_the_transport_that_writes_messages_whole(tmp_path):
    """As `bin/run` starts it: no CELERY_BROKER_URL, so the filesystem broker, with hyoka.broker's transport."""
    environment = {name: value for name, value in os.environ.items() if name != "CELERY_BROKER_URL"}
    found = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from hyoka.celery import app; "
                               "print(app.connection_for_write().get_transport_cls().__module__)"],
        env={**environment, "DJANGO_SETTINGS_MODULE": "hyoka.settings", "HYOKA_VAR_DIR": str(tmp_path)},
        capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent)
    assert found.stdout.strip() == "hyoka.broker"


def test_a_message_is_not_seen_until_it_is_written_whole(channel, tmp_path, monkeypatch):
    seen_while_writing = []
    real_replace = os.replace

    def replace(source, target):  # the moment before the message becomes visible
        try:
            channel._get("jobs")
        except Empty:
            seen_while_writing.append(None)
        else:
            seen_while_writing.append("a worker took the message before it was whole")
        assert json.loads(open(source, encoding="utf-8").read()) == {"body": "日本語"}
        return real_replace(source, target)

    monkeypatch.setattr(broker.os, "replace", replace)
    channel._put("jobs", {"body": "日本語"})

    assert seen_while_writing == [None]
    assert channel._get("jobs") == {"body": "日本語"}
    assert [name for name in os.listdir(tmp_path) if name != "processed"] == []
