import uuid

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation.models import Campaign, CampaignMembership, ItemSlot, Rating

from .workflow_factories import FULL_SCORES, annotators, campaign_with_items, open_for_pull


def client_for(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def pull_campaign(db):
    return open_for_pull(campaign_with_items(slug="api", items=6))


@pytest.fixture
def alice(pull_campaign):
    return annotators(1, pull_campaign, prefix="alice")[0]


@pytest.fixture
def lead_user(db):
    user = User.objects.create_user("lena", password="x")
    user.groups.add(Group.objects.get(name="lead"))
    return user


class TestAnnotatorApi:
    def test_next_item_shows_prompt_response_and_axes_but_no_model_name(self, pull_campaign, alice):
        response = client_for(alice.user).post("/api/campaigns/api/next/")
        assert response.status_code == 200
        item = response.json()
        assert item["position"] == 1 and item["prompt"]["turns"][0].startswith("質問")
        assert item["response"]["model"] is None and "model-" in item["response"]["turns"][0]
        assert [axis["key"] for axis in item["axes"]] == ["relevance", "fluency", "accuracy", "detail", "overall"]
        assert item["axes"][0]["label"] == "関連性" and item["axes"][0]["points"]["5"]
        assert item["draft"] is None and item["rating"] is None
        english = client_for(alice.user).get(f"/api/items/{item['id']}/?lang=en").json()
        assert english["axes"][0]["label"] == "Relevance"

    def test_model_names_are_shown_when_the_campaign_says_so(self, pull_campaign, alice):
        Campaign.objects.filter(pk=pull_campaign.pk).update(show_model_names=True)
        item = client_for(alice.user).post("/api/campaigns/api/next/").json()
        assert item["response"]["model"].startswith("model-")

    def test_draft_then_submit_then_retry_stores_one_rating(self, pull_campaign, alice):
        api = client_for(alice.user)
        item = api.post("/api/campaigns/api/next/").json()
        draft = {"scores": {"relevance": 4}, "comment": "途中", "seconds_spent": 9}
        assert api.put(f"/api/items/{item['id']}/draft/", draft, format="json").status_code == 204
        assert api.get(f"/api/items/{item['id']}/").json()["draft"]["scores"] == {"relevance": 4}

        submit = {"scores": FULL_SCORES, "idempotency_key": str(uuid.uuid4()), "seconds_spent": 30}
        first = api.post(f"/api/items/{item['id']}/rating/", submit, format="json")
        retry = api.post(f"/api/items/{item['id']}/rating/", submit, format="json")
        assert (first.status_code, retry.status_code) == (201, 200)
        assert first.json()["id"] == retry.json()["id"] and Rating.objects.count() == 1
        assert api.post("/api/campaigns/api/next/").json()["position"] == 2

    def test_bad_scores_get_a_400_naming_the_axis(self, pull_campaign, alice):
        api = client_for(alice.user)
        item = api.post("/api/campaigns/api/next/").json()
        response = api.post(f"/api/items/{item['id']}/rating/",
                            {"scores": {**FULL_SCORES, "overall": 9}, "idempotency_key": str(uuid.uuid4())},
                            format="json")
        assert response.status_code == 400
        assert response.json()["detail"] == "scores.overall: score 9 is outside the axis range 1..5"
        missing_key = api.post(f"/api/items/{item['id']}/rating/", {"scores": FULL_SCORES}, format="json")
        assert missing_key.status_code == 400 and "idempotency_key" in missing_key.json()

    def test_skip_with_reason_and_my_work(self, pull_campaign, alice):
        api = client_for(alice.user)
        item = api.post("/api/campaigns/api/next/").json()
        assert api.post(f"/api/items/{item['id']}/skip/", {"reason": "nope"}, format="json").status_code == 400
        assert api.post(f"/api/items/{item['id']}/skip/", {"reason": "broken"}, format="json").status_code == 204
        work = api.get("/api/my-work/").json()
        assert work == [{"campaign": "api", "name": "api", "mode": "pull", "status": "active",
                         "done": 0, "total": 0, "batches": []}]

    def test_an_empty_pool_answers_204(self, db):
        campaign = open_for_pull(campaign_with_items(slug="tiny", items=1))
        first, second, third = annotators(3, campaign)
        for person in (first, second):
            assert client_for(person.user).post("/api/campaigns/tiny/next/").status_code == 200
        assert client_for(third.user).post("/api/campaigns/tiny/next/").status_code == 204


class TestLeadApi:
    def test_lead_cuts_assigns_opens_and_reads_progress(self, db, lead_user):
        campaign = campaign_with_items(slug="led", items=8)
        CampaignMembership.objects.create(campaign=campaign, user=lead_user, role=CampaignMembership.Role.LEAD)
        people = annotators(3, campaign)
        api = client_for(lead_user)

        cut = api.post("/api/campaigns/led/batches/", {"size": 3, "seed": 5}, format="json")
        assert cut.status_code == 201 and [b["items"] for b in cut.json()] == [3, 3, 2]
        assign = api.post("/api/campaigns/led/assign/", {"annotators": [p.handle for p in people]}, format="json")
        assert assign.status_code == 201 and assign.json() == {"assignments": 6}
        assert api.post("/api/campaigns/led/open/", {"mode": "batches"}, format="json").json()["status"] == "active"

        item = client_for(people[0].user).post("/api/campaigns/led/next/").json()
        client_for(people[0].user).post(f"/api/items/{item['id']}/rating/",
                                        {"scores": FULL_SCORES, "idempotency_key": str(uuid.uuid4()),
                                         "seconds_spent": 20}, format="json")
        progress = api.get("/api/campaigns/led/progress/").json()
        assert progress["slots"] == 16 and progress["rated"] == 1
        first = next(row for row in progress["by_annotator"] if row["key"] == people[0].handle)
        assert first["done"] == 1 and first["median_seconds"] == 20

    def test_assigning_someone_outside_the_campaign_is_a_400(self, db, lead_user):
        campaign = campaign_with_items(slug="led", items=4)
        campaign.created_by = lead_user
        campaign.save()
        api = client_for(lead_user)
        api.post("/api/campaigns/led/batches/", {"size": 2}, format="json")
        response = api.post("/api/campaigns/led/assign/", {"annotators": ["stranger", "other"]}, format="json")
        assert response.status_code == 400 and "not annotators of led: stranger, other" in str(response.json())
        assert not ItemSlot.objects.filter(annotator__isnull=False).exists()

    def test_schema_and_docs_are_served(self, db, lead_user):
        api = client_for(lead_user)
        schema = api.get("/api/schema/")
        assert schema.status_code == 200 and b"/api/items/{public_id}/rating/" in schema.content
        assert api.get("/api/docs/").status_code == 200
