import json
import uuid

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation.models import (
    Campaign, CampaignMembership, Draft, Item, ItemSlot, PairOrder, Prompt, Rating, RatingRevision,
)

from .pairwise_factories import a_side, give_checklist, order_for, pairwise_campaign
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


class TestPairwiseApi:
    @pytest.fixture
    def pairs(self, db):
        campaign = open_for_pull(pairwise_campaign(slug="pw", prompts=4))
        first = campaign.items.order_by("position").first()  # the first handed out
        Prompt.objects.filter(pk=first.response.prompt_id).update(context="簡潔に答えて",
                                                                  turns=["一つ目の質問", "二つ目の質問"])
        return campaign

    @pytest.fixture
    def bea(self, pairs):
        return annotators(1, pairs, prefix="bea")[0]

    def test_the_item_speaks_of_left_and_right_only_with_the_verdicts_in_japanese(self, pairs, bea):
        item = client_for(bea.user).post("/api/campaigns/pw/next/").json()
        stored = Item.objects.select_related("response", "response_b").get(public_id=item["id"])
        assert item["kind"] == "pairwise" and item["response"] is None
        assert item["prompt"] == {"turns": ["一つ目の質問", "二つ目の質問"], "context": "簡潔に答えて", "category": ""}
        assert [(v["value"], v["label"]) for v in item["verdicts"]] == [
            ("left", "左の方が良い"), ("right", "右の方が良い"), ("both", "どちらも良い"), ("neither", "どちらも良くない")]
        texts = {side: item[side]["turns"] for side in ("left", "right")}
        assert sorted(texts.values()) == sorted([stored.response.turns, stored.response_b.turns])
        assert item["left"]["model"] is None and item["right"]["model"] is None
        body = json.dumps(item, ensure_ascii=False)
        assert '"A"' not in body and '"B"' not in body and "AB" not in body and "BA" not in body
        english = client_for(bea.user).get(f"/api/items/{item['id']}/?lang=en").json()
        assert [v["label"] for v in english["verdicts"]][:2] == ["Left is better", "Right is better"]

    def test_model_names_when_shown_follow_their_sides(self, pairs, bea):
        Campaign.objects.filter(pk=pairs.pk).update(show_model_names=True)
        item = client_for(bea.user).post("/api/campaigns/pw/next/").json()
        stored = Item.objects.select_related("response__model").get(public_id=item["id"])
        a_on = a_side(order_for(stored, bea))
        assert item[a_on]["model"] == "model-a" and item[a_on]["turns"] == stored.response.turns
        assert item["right" if a_on == "left" else "left"]["model"] == "model-b"

    def test_draft_submit_retry_and_revision_of_a_pair(self, pairs, bea):
        api = client_for(bea.user)
        item = api.post("/api/campaigns/pw/next/").json()
        stored = Item.objects.select_related("response__prompt").get(public_id=item["id"])
        check, = give_checklist(stored.response.prompt, ["簡潔である"])
        draft = {"verdict": "left", "checks": {str(check.id): {"left": True}}, "comment": "途中"}
        assert api.put(f"/api/items/{item['id']}/draft/", draft, format="json").status_code == 204
        left_is_a = order_for(stored, bea) == PairOrder.AB
        assert Draft.objects.get().checks == {str(check.id): {"A" if left_is_a else "B": True}}
        again = api.get(f"/api/items/{item['id']}/").json()
        assert (again["draft"]["verdict"], again["draft"]["checks"]) == ("left", {str(check.id): {"left": True}})
        assert again["checklist"] == [{"id": check.id, "text": "簡潔である"}]

        submit = {"verdict": "left", "checks": {str(check.id): {"left": True, "right": False}},
                  "idempotency_key": str(uuid.uuid4())}
        first = api.post(f"/api/items/{item['id']}/rating/", submit, format="json")
        retry = api.post(f"/api/items/{item['id']}/rating/", submit, format="json")
        assert (first.status_code, retry.status_code) == (201, 200) and first.json() == retry.json() | {"created": True}
        rating = Rating.objects.get()
        assert (rating.verdict, rating.position) == (("A", "AB") if left_is_a else ("B", "BA"))
        assert dict(rating.checks.values_list("side", "checked")) == {"A": left_is_a, "B": not left_is_a}

        revision = {"verdict": "right", "checks": {str(check.id): {"right": False}},
                    "idempotency_key": str(uuid.uuid4())}
        revised = api.post(f"/api/items/{item['id']}/rating/", revision, format="json").json()
        assert revised["revision"] == 2 and revised["id"] == first.json()["id"]
        rating.refresh_from_db()
        assert rating.verdict == ("B" if left_is_a else "A") and rating.position == ("AB" if left_is_a else "BA")
        earlier = RatingRevision.objects.get(rating=rating)
        assert (earlier.verdict, earlier.checks) == (("A" if left_is_a else "B"),
                                                     {str(check.id): {"A": left_is_a, "B": not left_is_a}})
        assert list(rating.checks.values_list("side", "checked")) == [("B" if left_is_a else "A", False)]
        shown = api.get(f"/api/items/{item['id']}/").json()["rating"]
        assert (shown["verdict"], shown["checks"], shown["revision"]) == ("right", {str(check.id): {"right": False}}, 2)

    def test_a_tick_off_the_checklist_or_a_verdict_in_item_terms_is_a_400_naming_it(self, pairs, bea):
        api = client_for(bea.user)
        item = api.post("/api/campaigns/pw/next/").json()
        response = api.post(f"/api/items/{item['id']}/rating/",
                            {"verdict": "left", "checks": {"424242": True}, "idempotency_key": str(uuid.uuid4())},
                            format="json")
        assert response.status_code == 400
        assert response.json()["detail"] == "checks.424242: 424242 is not an item of this prompt's checklist"
        in_item_terms = api.put(f"/api/items/{item['id']}/draft/", {"verdict": "A"}, format="json")
        assert in_item_terms.status_code == 400 and in_item_terms.json()["detail"].startswith(
            "verdict: 'A' is not a verdict here; choose one of left, right, both, neither")
        check, = give_checklist(Item.objects.get(public_id=item["id"]).response.prompt, ["簡潔である"])
        for answer, detail in (("maybe", f'checks.{check.id}: on a pair, answer for each response: expected '
                                          '{"left": true|false|null, "right": true|false|null}'),
                               ({"middle": True}, f"checks.{check.id}.middle: 'middle' is not a side"),
                               ({"left": "maybe"}, f"checks.{check.id}.left: expected true, false or null")):
            not_a_tick = api.put(f"/api/items/{item['id']}/draft/", {"checks": {str(check.id): answer}}, format="json")
            assert not_a_tick.status_code == 400 and not_a_tick.json()["detail"].startswith(detail)
        no_verdict = api.post(f"/api/items/{item['id']}/rating/", {"idempotency_key": str(uuid.uuid4())},
                              format="json")
        assert no_verdict.status_code == 400 and no_verdict.json()["detail"].startswith("verdict: choose a verdict")
        assert not Rating.objects.exists() and not Draft.objects.exists()
