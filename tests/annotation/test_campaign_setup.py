"""A lead sets up a campaign without the admin: the new-campaign form, people with roles and tiers, --lead."""

import json
from html import unescape

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from annotation import access
from annotation.models import Annotator, Campaign, CampaignMembership

from .workflow_factories import campaign_with_items

FORM = {"name": "日本語品質評価", "slug": "jp-quality", "rubric": "quality-5x5", "overlap": "3",
        "instructions": "## 手順\n\n- 各観点を **1–5** で採点", "leads": "otto"}


def person(name, group):
    user = User.objects.create_user(name, password="x")
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_a_lead_creates_a_campaign_in_the_form_and_leads_it_with_the_co_leads(english, lead):
    otto = person("otto", "annotator")
    english.force_login(lead)

    response = english.post(reverse("campaign_create"), FORM)

    campaign = Campaign.objects.get(slug="jp-quality")
    assert response.status_code == 302 and response["Location"] == reverse("campaign_manage", args=["jp-quality"])
    assert (campaign.name, campaign.rubric.key, campaign.overlap, campaign.show_model_names) == (
        "日本語品質評価", "quality-5x5", 3, False)
    assert campaign.status == Campaign.Status.DRAFT and campaign.instructions.startswith("## 手順")
    assert access.is_lead_of(otto, campaign) and access.is_lead(otto)
    page = english.get(response["Location"]).content.decode()
    assert 'data-member="lena" data-role="lead"' in page and 'data-member="otto" data-role="lead"' in page


@pytest.mark.parametrize("change, message", [
    ({"slug": "Bad Slug"}, "Slug: Enter a valid “slug”"),
    ({"rubric": "nope"}, "Kind and rubric: Select a valid choice. nope is not one of the available choices."),
    ({"overlap": "1"}, "Overlap k: Ensure this value is greater than or equal to 2."),
    ({"leads": "nobody"}, "Co-leads: there is no user named 'nobody'."),
    ({"slug": "taken"}, "Slug: a campaign taken exists already; choose another slug."),
    ({"slug": "new"}, "Slug: 'new' must be lowercase letters"),
])
def test_bad_input_names_the_field_and_creates_nothing(english, lead, quality_rubric, change, message):
    Campaign.objects.create(slug="taken", name="既存", rubric=quality_rubric)
    person("otto", "lead")
    english.force_login(lead)

    response = english.post(reverse("campaign_create"), {**FORM, **change})

    assert response.status_code == 200 and message in unescape(response.content.decode())
    assert list(Campaign.objects.values_list("slug", flat=True)) == ["taken"]


def test_annotators_and_researchers_may_not_create_campaigns(english, annotator, researcher):
    for user in (annotator, researcher):
        english.force_login(user)
        assert english.post(reverse("campaign_create"), FORM).status_code == 403
    assert not Campaign.objects.exists()


@pytest.fixture
def led(lead):
    campaign = campaign_with_items(slug="jp", items=2, models=2)
    Campaign.objects.filter(pk=campaign.pk).update(created_by=lead)
    campaign.refresh_from_db()
    return campaign


def test_a_lead_adds_people_in_every_role_and_sets_tiers(english, lead, led):
    person("nora", "researcher")  # not yet an annotator: adding her makes her one
    person("olga", "lead")
    person("rita", "researcher")
    english.force_login(lead)

    english.post(reverse("member_add", args=["jp"]), {"username": "nora", "role": "annotator", "tier": "vendor"})
    english.post(reverse("member_add", args=["jp"]), {"username": "olga", "role": "lead"})
    english.post(reverse("member_add", args=["jp"]), {"username": "rita", "role": "researcher"})
    english.post(reverse("annotator_tier", args=["jp", "nora"]), {"tier": "graduate"})

    roles = dict(CampaignMembership.objects.filter(campaign=led).values_list("user__username", "role"))
    assert roles == {"nora": "annotator", "olga": "lead", "rita": "researcher"}
    assert Annotator.objects.get(handle="nora").tier == "graduate"
    assert User.objects.get(username="nora").groups.filter(name="annotator").exists()
    page = english.get(reverse("campaign_manage", args=["jp"])).content.decode()
    assert 'data-member="rita" data-role="researcher"' in page
    assert '<option value="graduate" selected>' in page.split('data-tier-form="nora"')[1]


def test_external_annotators_from_imports_are_listed_with_their_tier_which_the_lead_edits(english, lead, led, tmp_path):
    item = led.items.select_related("response__prompt", "response__model").first()
    path = tmp_path / "ratings.jsonl"
    path.write_text(json.dumps({"prompt_id": item.response.prompt.external_id, "model": item.response.model.name,
                                "annotator": "vendor-7", "scores": {"relevance": 4, "fluency": 4, "accuracy": 4,
                                                                    "detail": 4, "overall": 4}}) + "\n")
    call_command("import_ratings", str(path), "--campaign", "jp", stdout=open("/dev/null", "w"))
    english.force_login(lead)

    page = english.get(reverse("campaign_manage", args=["jp"])).content.decode()
    assert 'data-member="vendor-7" data-role="external"' in page
    english.post(reverse("annotator_tier", args=["jp", "vendor-7"]), {"tier": "vendor"})
    assert Annotator.objects.get(handle="vendor-7").tier == "vendor"
    assert english.post(reverse("annotator_tier", args=["jp", "lena"]), {"tier": "vendor"}).status_code == 404


def test_the_only_lead_cannot_be_removed_but_a_co_lead_can(english, led, lead):
    Campaign.objects.filter(pk=led.pk).update(created_by=None)
    CampaignMembership.objects.create(campaign=led, user=lead, role="lead")
    english.force_login(lead)
    page = english.post(reverse("member_remove", args=["jp", "lena"]), follow=True).content.decode()
    assert "lena is the only lead of jp; add another lead first." in page
    person("olga", "lead")
    english.post(reverse("member_add", args=["jp"]), {"username": "olga", "role": "lead"})
    english.post(reverse("member_remove", args=["jp", "lena"]))
    assert list(CampaignMembership.objects.filter(campaign=led).values_list("user__username", flat=True)) == ["olga"]


def test_import_responses_with_lead_makes_a_lead_without_superuser_rights(tmp_path, db, client):
    user = User.objects.create_user("plain", password="x")  # in no group, not staff
    path = tmp_path / "responses.jsonl"
    path.write_text(json.dumps({"prompt_id": "q1", "prompt": "質問", "model": "m", "response": "答え"},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    call_command("import_responses", str(path), "--campaign", "cli", "--lead", "plain", stdout=open("/dev/null", "w"))

    client.force_login(user)
    assert client.get(reverse("campaign_manage", args=["cli"])).status_code == 200
    assert client.get(reverse("campaign_progress", args=["cli"])).status_code == 200
    assert client.get(reverse("judge_config_list")).status_code == 200
    assert client.get(reverse("campaign_create")).status_code == 200


def test_the_instructions_are_shown_as_markdown_on_the_rating_page(client, led, annotator):
    from annotation.services.workflow import campaign_open, item_next

    Campaign.objects.filter(pk=led.pk).update(instructions="## 手順\n\n各観点を **1–5** で採点。<script>x()</script>")
    CampaignMembership.objects.create(campaign=led, user=annotator, role=CampaignMembership.Role.ANNOTATOR)
    led.refresh_from_db()
    campaign_open(campaign=led, mode=Campaign.Mode.PULL)
    item = item_next(annotator=annotator.annotator, campaign=led)
    client.force_login(annotator)

    html = client.get(reverse("item_rate", args=[item.public_id])).content.decode()

    instructions = html.split('data-instructions', 1)[1].split("</details>", 1)[0]
    assert "手順</h" in instructions and "<strong>1–5</strong>" in instructions
    assert "<script>" not in instructions
