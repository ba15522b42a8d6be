"""Every setup step through the REST API: a campaign with its overlap and rubric, its members with roles and
tiers, each user's own token, and pull mode on a campaign without batches."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from rest_framework.test import APIClient

from annotation.models import Annotator, Campaign, CampaignMembership, ItemSlot

from .workflow_factories import campaign_with_items


def person(name, group):
    user = User.objects.create_user(name, password="x")
    user.groups.add(Group.objects.get(name=group))
    return user


def as_user(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_lead_creates_a_campaign_adds_people_and_sets_tiers_through_the_api(lead, db):
    person("olga", "lead")
    person("nora", "researcher")
    person("rita", "researcher")
    api = as_user(lead)

    made = api.post(reverse("api_campaigns"), {"slug": "pairs", "name": "一対比較", "rubric": "preference-3",
                                               "overlap": 3, "leads": ["olga"], "instructions": "**A** と B"},
                    format="json")
    assert made.status_code == 201, made.json()
    assert (made.json()["kind"], made.json()["overlap"], made.json()["status"]) == ("pairwise", 3, "draft")

    members = reverse("api_members", args=["pairs"])
    assert api.post(members, {"username": "nora", "tier": "vendor"}, format="json").status_code == 201
    assert api.post(members, {"username": "rita", "role": "researcher"}, format="json").status_code == 201
    tier = api.put(reverse("api_annotator_tier", args=["pairs", "nora"]), {"tier": "graduate"}, format="json")
    assert tier.json() == {"tier": "graduate"}
    people = {(row["username"], row["role"], row["tier"]) for row in api.get(members).json()}
    assert people == {("lena", "lead", None), ("olga", "lead", None), ("nora", "annotator", "graduate"),
                      ("rita", "researcher", None)}

    assert api.delete(reverse("api_member", args=["pairs", "rita"])).status_code == 204
    assert not CampaignMembership.objects.filter(user__username="rita").exists()
    assert Annotator.objects.get(handle="nora").tier == "graduate"


@pytest.mark.parametrize("body, field", [
    ({"slug": "x y"}, "slug"), ({"slug": "ok", "overlap": 1}, "overlap"), ({"slug": "ok", "rubric": "nope"}, "rubric"),
    ({"slug": "ok", "leads": ["ghost"]}, "leads"),
])
def test_bad_campaigns_are_400_naming_the_field_and_create_nothing(lead, body, field):
    response = as_user(lead).post(reverse("api_campaigns"), body, format="json")
    assert response.status_code == 400 and field in str(response.json())
    assert not Campaign.objects.exists()


def test_only_leads_create_campaigns(annotator, researcher):
    for user in (annotator, researcher):
        assert as_user(user).post(reverse("api_campaigns"), {"slug": "mine"}, format="json").status_code == 403
    assert not Campaign.objects.exists()


def test_a_bad_member_is_400_and_adds_nobody(lead):
    campaign = campaign_with_items(slug="jp", items=2)
    Campaign.objects.filter(pk=campaign.pk).update(created_by=lead)
    api = as_user(lead)
    members = reverse("api_members", args=["jp"])
    assert api.post(members, {"username": "ghost"}, format="json").status_code == 400
    person("nora", "annotator")
    assert api.post(members, {"username": "nora", "tier": "wizard"}, format="json").status_code == 400
    assert api.post(members, {"username": "nora", "role": "owner"}, format="json").status_code == 400
    assert not CampaignMembership.objects.exists()


def test_each_user_makes_and_revokes_their_own_token_on_the_profile_page(client, annotator):
    client.force_login(annotator)
    page = client.post(reverse("profile"), {"action": "make"}).content.decode()
    token = page.split('data-token>', 1)[1].split("<", 1)[0]

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(reverse("api_my_work")).status_code == 200

    client.post(reverse("profile"), {"action": "revoke"})
    assert api.get(reverse("api_my_work")).status_code in (401, 403)
    assert 'data-token-state="absent"' in client.get(reverse("profile")).content.decode()


def test_the_token_api_makes_a_new_token_and_revokes_it(annotator):
    api = as_user(annotator)
    first = api.post(reverse("api_my_token")).json()["token"]
    second = api.post(reverse("api_my_token")).json()["token"]
    assert first != second
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert by_token.get(reverse("api_my_work")).status_code in (401, 403)  # replaced
    assert api.delete(reverse("api_my_token")).status_code == 204


def test_pull_mode_opens_a_campaign_without_batches_through_the_api(lead):
    campaign = campaign_with_items(slug="jp", items=5)
    Campaign.objects.filter(pk=campaign.pk).update(created_by=lead)
    response = as_user(lead).post(reverse("api_open", args=["jp"]), {"mode": "pull"}, format="json")
    assert response.json() == {"status": "active", "mode": "pull", "batches_cut": 1}
    assert ItemSlot.objects.filter(campaign=campaign).count() == campaign.items.count() * campaign.overlap > 0
    refused = as_user(lead).post(reverse("api_open", args=["jp"]), {"mode": "batches"}, format="json")
    assert refused.json()["batches_cut"] == 0
