"""A web process loads what serving pages needs: the statistics, release and judging libraries (pandas, numpy,
scipy, pyarrow, openai: some 240 MiB) load in the processes and on the pages that use them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from annotation.models import CampaignMembership

from tests.annotation.pairwise_factories import pairwise_campaign
from tests.annotation.workflow_factories import FULL_SCORES, annotators, campaign_with_items, open_for_pull

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "scipy", "pyarrow", "openai")

# Run in a fresh interpreter: load the URLconf, then, as annotator ann0, take an item of each campaign, open its
# rating page, rate it through the API and look at the work list; print the statuses and the heavy modules loaded.
SERVE_RATING_PAGES = """
import json, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
import hyoka.urls  # noqa: F401
from django.contrib.auth.models import User
from django.test import Client
client = Client()
client.force_login(User.objects.get(username="ann0"))
statuses = []
for slug, answer in (("wf", {"scores": SCORES}), ("pw", {"verdict": "left"})):
    page = client.post(f"/campaigns/{slug}/next/", follow=True)
    statuses.append(page.status_code)
    item = page.redirect_chain[-1][0].rstrip("/").rsplit("/", 1)[1]
    rated = client.post(f"/api/items/{item}/rating/", {**answer, "idempotency_key": item}, content_type="application/json")
    statuses.append(rated.status_code)
statuses.append(client.get("/my-work/").status_code)
print(json.dumps({"statuses": statuses, "heavy": sorted(set(HEAVY) & set(sys.modules))}))
"""


def database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the subprocess sees committed data only
def test_serving_the_rating_pages_loads_no_statistics_release_or_judging_library():
    likert, pairwise = campaign_with_items(slug="wf", items=4), pairwise_campaign(slug="pw", prompts=4)
    annotator = annotators(1, likert)[0]
    CampaignMembership.objects.create(campaign=pairwise, user=annotator.user, role=CampaignMembership.Role.ANNOTATOR)
    open_for_pull(likert), open_for_pull(pairwise)
    script = f"SCORES = {FULL_SCORES!r}\nHEAVY = {HEAVY!r}\n" + SERVE_RATING_PAGES
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "hyoka.settings"})
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout.splitlines()[-1])
    assert served == {"statuses": [200, 201, 200, 201, 200], "heavy": []}
