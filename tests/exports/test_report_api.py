"""GET /api/campaigns/<slug>/agreement/ and /meta-eval/: the commands' JSON, for the campaign's leads only."""

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient

from .pairwise_factories import voted_campaign
from .report_factories import rated_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(tmp_path, lead):
    return rated_campaign(tmp_path, prompts=8, samples=2, lead=lead)


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def command_json(name, *arguments):
    out = io.StringIO()
    call_command(name, *arguments, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_agreement_is_the_commands_json(campaign, lead):
    response = client_for(lead).get(f"/api/campaigns/{campaign.slug}/agreement/",
                                    {"level": "interval", "replicates": 150, "seed": 3})
    assert response.status_code == 200
    assert response.json() == command_json("agreement", "--campaign", campaign.slug, "--level", "interval",
                                           "--replicates", "150", "--seed", "3")


def test_meta_eval_is_the_commands_json(campaign, lead):
    response = client_for(lead).get(f"/api/campaigns/{campaign.slug}/meta-eval/",
                                    {"judge": "gpt-4o-judge", "replicates": 120})
    assert response.status_code == 200
    assert response.json() == command_json("meta_eval", "--campaign", campaign.slug, "--judge", "gpt-4o-judge",
                                           "--replicates", "120")
    assert response.json()["meta"]["judge"] == "gpt-4o-judge"


@pytest.mark.parametrize("path", ["agreement/", "meta-eval/?judge=gpt-4o-judge", "exam-report/"])
def test_only_the_campaigns_leads_may_read(campaign, path, annotator, researcher, django_user_model):
    url = f"/api/campaigns/{campaign.slug}/{path}"
    other_lead = django_user_model.objects.create_user("leo")
    other_lead.groups.add(Group.objects.get(name="lead"))
    assert client_for(annotator).get(url).status_code == 404  # outside the campaign
    assert client_for(researcher).get(url).status_code == 404
    assert client_for(other_lead).get(url).status_code == 404
    assert client_for().get(url).status_code in (401, 403)
    assert client_for(annotator).get(f"/api/campaigns/nope/{path}").status_code == 404


def test_a_superuser_may_read(campaign, django_user_model):
    admin = django_user_model.objects.create_superuser("sara", "sara@example.org", "x")
    assert client_for(admin).get(f"/api/campaigns/{campaign.slug}/agreement/", {"replicates": 0}).status_code == 200


@pytest.mark.parametrize("query, field", [
    ({"judge": "nobody"}, None),
    ({}, "judge"),
    ({"judge": "gpt-4o-judge", "replicates": 10_001}, "replicates"),
    ({"judge": "gpt-4o-judge", "level": "cardinal"}, "level"),
])
def test_bad_meta_eval_queries_are_400_with_a_clear_message(campaign, lead, query, field):
    response = client_for(lead).get(f"/api/campaigns/{campaign.slug}/meta-eval/", query)
    assert response.status_code == 400
    if field is None:
        assert response.json() == {"detail": "no judge 'nobody': give the name of a judge config or of imported verdicts"}
    else:
        assert field in response.json()


def test_degenerate_campaigns_give_the_report_with_reasons(tmp_path, lead):
    campaign = rated_campaign(tmp_path, slug="unrated", prompts=2, ratings=[], lead=lead)
    client = client_for(lead)

    agreement = client.get(f"/api/campaigns/{campaign.slug}/agreement/").json()
    assert agreement["meta"]["reason"] == "campaign unrated has no ratings yet"
    assert agreement["overall"]["alpha"] == {"value": None, "low": None, "high": None, "replicates": 0, "dropped": 0,
                                             "reason": "no scores on this axis"}
    meta_eval = client.get(f"/api/campaigns/{campaign.slug}/meta-eval/", {"judge": "gpt-4o-judge"})
    assert meta_eval.status_code == 200
    assert meta_eval.json()["meta"]["reason"] == "campaign unrated has no ratings yet"
    assert meta_eval.json()["overall"] == {"axis": "overall", "reason": "no human scores on this axis"}


def test_a_pairwise_campaign_gets_agreement_on_its_verdicts(lead, tmp_path):
    campaign = voted_campaign(tmp_path, lead=lead)
    client = client_for(lead)
    response = client.get(f"/api/campaigns/{campaign.slug}/agreement/", {"replicates": 100, "seed": 3})
    assert response.status_code == 200
    body = response.json()
    command = command_json("agreement", "--campaign", campaign.slug, "--replicates", "100", "--seed", "3")
    assert body == command and body["meta"]["kind"] == "pairwise" and body["verdict"]["alpha"]["value"] is not None
    wrong = client.get(f"/api/campaigns/{campaign.slug}/agreement/", {"level": "interval"})
    assert wrong.status_code == 400 and "alpha is nominal" in wrong.json()["detail"]


def test_the_schema_documents_both_endpoints(lead):
    schema = client_for(lead).get("/api/schema/", {"format": "json"}).json()
    agreement = schema["paths"]["/api/campaigns/{slug}/agreement/"]["get"]
    meta_eval = schema["paths"]["/api/campaigns/{slug}/meta-eval/"]["get"]
    assert {p["name"] for p in agreement["parameters"]} >= {"level", "replicates", "seed", "normalise"}
    assert any(p["name"] == "judge" and p["required"] for p in meta_eval["parameters"])
    assert "keyed by axis" in agreement["description"]


def test_an_answer_is_kept_per_request_and_data_version(campaign, lead, monkeypatch):
    from annotation.models import RatingScore
    from exports.reports import campaign as reports

    client, url = client_for(lead), f"/api/campaigns/{campaign.slug}/agreement/"
    first = client.get(url, {"replicates": 50}).json()
    computed = []
    monkeypatch.setattr(reports, "campaign_agreement", lambda *args, **kwargs: computed.append(kwargs) or {"new": 1})
    assert client.get(url, {"replicates": 50}).json() == first and computed == []  # read back, not computed
    assert client.get(url, {"replicates": 60}).json() == {"new": 1} and len(computed) == 1  # another request
    monkeypatch.undo()

    score = RatingScore.objects.filter(rating__item__campaign=campaign).order_by("pk").first()
    RatingScore.objects.filter(pk=score.pk).update(score=score.score % 5 + 1)  # a new data version
    changed = client.get(url, {"replicates": 50}).json()
    assert changed != first
    assert changed == command_json("agreement", "--campaign", campaign.slug, "--replicates", "50")
