"""The SummEval demo on first start: load_demo and create_demo_accounts, then the demo lead's report of
demo-summeval shows the experts' agreement, the crowd-mean judge against them, and plots."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.test import APIClient


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", stdout=StringIO())
    call_command("create_demo_accounts", stdout=StringIO())
    return User.objects.get(username="demo-lead")


def test_the_summeval_demo_report_shows_agreement_judge_figures_and_plots(demo, client):
    assert demo.memberships.filter(campaign__slug="demo-summeval", role="lead").exists()
    client.force_login(demo)
    page = client.get("/campaigns/demo-summeval/report/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "summeval-crowd-mean" in html and "<svg" in html
    for axis in ("一貫性", "事実整合性", "流暢性", "関連性"):
        assert axis in html

    api = APIClient()
    api.force_authenticate(demo)
    agreement = api.get("/api/campaigns/demo-summeval/agreement/").json()
    text = json.dumps(agreement)
    assert '"coherence"' in text and "alpha" in text
    assert agreement["meta"]["raters_per_item"]["min"] == 3 == agreement["meta"]["raters_per_item"]["max"]
    meta = api.get("/api/campaigns/demo-summeval/meta-eval/", {"judge": "summeval-crowd-mean"})
    assert meta.status_code == 200, meta.content
    assert "spearman" in json.dumps(meta.json()).lower() or "kendall" in json.dumps(meta.json()).lower()
