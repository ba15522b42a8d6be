"""An upload end to end through real processes: a gunicorn web process receives the file over HTTP, a Celery
worker on Redis imports it, and the API reports the import done (or failed, with its errors). Skipped when
Redis is not reachable (bin/test says so; CI requires it)."""

import json
import socket
import subprocess
import sys
import time

import pytest
from rest_framework.authtoken.models import Token

from annotation.models import Campaign, Item, Rubric
from annotation.testing.uploads import post_file
from tests.conftest import make_user
from tests.judging.test_worker import ROOT, Worker, environment, pytestmark, wait_until  # noqa: F401


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def web(environment, tmp_path):
    """A gunicorn web process and a Celery worker that share the test database, the queue and the uploads folder."""
    environment["HYOKA_UPLOAD_DIR"] = str(tmp_path / "uploads")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "hyoka.wsgi", "--bind", f"127.0.0.1:{port}",
                                "--workers", "1", "--log-level", "warning"], cwd=ROOT, env=environment)
    worker = Worker(environment, "uploads")
    try:
        wait_until(lambda: _answers(port), 30, "the web process did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        worker.kill()  # nothing is in flight once the test has seen its upload end; a warm shutdown takes seconds
        process.terminate()
        process.wait(20)


def _answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def get_json(url, token):
    from urllib.request import Request, urlopen

    with urlopen(Request(url, headers={"Authorization": f"Token {token}"}), timeout=10) as answer:
        return json.loads(answer.read())


def test_an_upload_is_received_over_http_and_imported_by_a_worker(web, tmp_path):
    lead = make_user("lena", "lead")
    token = Token.objects.create(user=lead).key
    campaign = Campaign.objects.create(slug="worker-upload", name="w", rubric=Rubric.objects.get(key="quality-5x5"),
                                       created_by=lead)
    path = tmp_path / "responses.csv"
    path.write_text("prompt_id,prompt,model,response\n" + "".join(f"q{n},問{n},m{m},答{n}\n" for n in range(50)
                                                                  for m in range(2)), encoding="utf-8")

    status, upload = post_file(f"{web}/api/campaigns/{campaign.slug}/uploads/", path, {"kind": "responses"},
                               headers={"Authorization": f"Token {token}"})
    assert status == 202, upload

    url = f"{web}/api/uploads/{upload['id']}/"
    wait_until(lambda: get_json(url, token)["status"] in ("done", "failed"), 60, "the worker did not import the upload")
    done = get_json(url, token)
    assert done["status"] == "done" and done["progress"] == 1.0, done
    assert "100 records: created 2 models, 50 prompts, 100 responses, 100 items" in done["summary"]
    assert Item.objects.filter(campaign=campaign).count() == 100
    assert not (tmp_path / "uploads" / upload["id"]).exists()  # the file is deleted once imported
